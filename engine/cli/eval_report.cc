#include "engine/cli/eval_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "engine/cli/output_file.h"
#include "engine/error.h"

namespace resq::cli {
namespace {

// JSON has no infinity: an SQNR of an output identical to fp32 is written as null.
nlohmann::json finite_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nullptr; }

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string number(double v) {
  if (std::isinf(v)) return "inf";
  std::ostringstream s;
  s.precision(6);
  s << v;
  return s.str();
}

std::string gnuplot_quote(const std::string& s) {
  std::string q = "\"";
  for (char c : s) q += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return q + "\"";
}

}  // namespace

nlohmann::json eval_json(const EvalRun& run) {
  nlohmann::json configs = nlohmann::json::array();
  for (const EvalResult& r : run.results) {
    const StreamConfig& s = r.config.stream;
    auto pixel_json = [](const std::map<int, double>& fractions) {
      nlohmann::json j = nlohmann::json::object();
      for (const auto& [bits, share] : fractions) j[std::to_string(bits)] = share;
      return j;
    };
    nlohmann::json distance = nlohmann::json::array();
    for (const DistanceAccuracy& d : r.by_distance)
      distance.push_back({{"distance", d.distance}, {"frames", d.frames}, {"iou_mean", d.iou_mean}});
    configs.push_back({
        {"label", r.config.label()},
        {"scheme", scheme_name(s.bits.scheme)},
        {"bits", s.bits.to_string()},
        {"T", s.period},
        {"tau", r.config.has_tau() ? nlohmann::json(s.tau) : nlohmann::json(nullptr)},
        {"frames", r.frames},
        {"keyframes", r.keyframes},
        {"gbops_per_frame", r.gbops},
        {"policy_gbops_per_frame", r.policy_gbops},
        {"ratio_to_fp32", r.gbops / r.gbops_fp32},
        {"ratio_to_w8a8", r.gbops / r.gbops_w8a8},
        {"iou_mean", r.iou_mean},
        {"iou_min", r.iou_min},
        {"mean_abs_error", r.mean_abs},
        {"sqnr_db", finite_or_null(r.sqnr_db)},
        {"pixel_bits", pixel_json(r.pixel_fraction)},
        {"residual_pixel_bits", pixel_json(r.residual_pixel_fraction)},
        {"iou_by_distance", distance},
        {"simulated_ms_per_frame_median", r.latency_ms_median},
    });
  }
  const EvalResult& any = run.results.front();
  return {{"model", run.model},
          {"calibration", run.calibration},
          {"video", run.video},
          {"start_frame", run.start_frame},
          {"frames", any.frames},
          {"threshold", run.threshold},
          {"fp32_gbops_per_frame", any.gbops_fp32},
          {"w8a8_gbops_per_frame", any.gbops_w8a8},
          {"configurations", configs}};
}

std::string eval_csv(const EvalRun& run) {
  std::set<int> bits;
  int64_t max_distance = 0;
  for (const EvalResult& r : run.results) {
    for (const auto& [b, share] : r.pixel_fraction) bits.insert(b);
    for (const DistanceAccuracy& d : r.by_distance) max_distance = std::max(max_distance, d.distance);
  }
  std::ostringstream out;
  out << "label,scheme,bits,T,tau,frames,keyframes,gbops_per_frame,policy_gbops_per_frame,"
         "ratio_to_fp32,ratio_to_w8a8,iou_mean,iou_min,mean_abs_error,sqnr_db";
  for (int b : bits) out << ",pixels_" << b << "bit";
  for (int64_t d = 0; d <= max_distance; ++d) out << ",iou_distance_" << d;
  out << "\n";
  for (const EvalResult& r : run.results) {
    const StreamConfig& s = r.config.stream;
    out << csv_field(r.config.label()) << "," << scheme_name(s.bits.scheme) << ","
        << csv_field(s.bits.to_string()) << "," << s.period << ","
        << (r.config.has_tau() ? number(s.tau) : "") << "," << r.frames << "," << r.keyframes
        << "," << number(r.gbops) << "," << number(r.policy_gbops) << ","
        << number(r.gbops / r.gbops_fp32) << "," << number(r.gbops / r.gbops_w8a8) << ","
        << number(r.iou_mean) << "," << number(r.iou_min) << "," << number(r.mean_abs) << ","
        << number(r.sqnr_db);
    for (int b : bits) {
      auto it = r.pixel_fraction.find(b);
      out << "," << (it == r.pixel_fraction.end() ? "0" : number(it->second));
    }
    std::map<int64_t, double> iou;
    for (const DistanceAccuracy& d : r.by_distance) iou[d.distance] = d.iou_mean;
    for (int64_t d = 0; d <= max_distance; ++d)
      out << "," << (iou.count(d) ? number(iou[d]) : "");
    out << "\n";
  }
  return out.str();
}

void eval_plot(const EvalRun& run, const std::string& png) {
  // One data block per scheme; a blank line between families (same bits, and T for Dynamic-ResQ)
  // breaks the line, so each family is a curve over T (or tau) in its scheme's colour.
  std::map<std::string, std::vector<const EvalResult*>> by_scheme;
  for (const EvalResult& r : run.results)
    by_scheme[scheme_name(r.config.stream.bits.scheme)].push_back(&r);
  // The zoomed panel is where savings are: at most W8A8's cost, on a linear axis, down to the
  // worst configuration there that has not collapsed (IoU at least half the best).
  const double w8a8 = run.results.front().gbops_w8a8;
  double best = 0, cheapest = w8a8;
  for (const EvalResult& r : run.results) {
    if (r.gbops > w8a8 * (1 + 1e-9)) continue;
    best = std::max(best, r.iou_mean);
    if (r.gbops > 0) cheapest = std::min(cheapest, r.gbops);
  }
  double worst = best;
  for (const EvalResult& r : run.results)
    if (r.gbops <= w8a8 * (1 + 1e-9) && r.iou_mean >= best / 2) worst = std::min(worst, r.iou_mean);
  const double zoom_low = std::max(0.0, std::floor((worst - 0.01) * 100) / 100);
  std::ostringstream script;
  script << "set terminal pngcairo size 1200,1200 font 'sans,10'\n"
         << "set output " << gnuplot_quote(png) << "\n"
         << "set xlabel 'GBOPs per frame (log scale)'\nset ylabel 'mean IoU vs fp32'\n"
         << "set logscale x\nset grid\nset key outside right top\n";
  const std::map<std::string, std::string> style = {
      {"fp32", "pt 3 ps 2 lc rgb 'black'"},          {"frame", "pt 7 ps 1.3 lc rgb '#1f77b4'"},
      {"resq", "lw 1.5 pt 5 ps 0.9 lc rgb '#d62728'"}, {"dynamic", "lw 1.5 pt 9 ps 1.1 lc rgb '#2ca02c'"},
      {"skip", "lw 1.5 pt 13 ps 1.1 lc rgb '#7f7f7f'"}};
  std::vector<std::string> plots;
  for (const auto& [scheme, rows] : by_scheme) {
    script << "$" << scheme << " << EOD\n";
    std::string family;
    for (const EvalResult* r : rows) {
      const StreamConfig& s = r->config.stream;
      std::string f = s.bits.to_string();
      if (r->config.has_tau()) f += " T=" + std::to_string(s.period);
      if (!family.empty() && f != family) script << "\n";
      family = f;
      script << r->gbops << " " << r->iou_mean << " " << gnuplot_quote(s.bits.to_string()) << "\n";
    }
    script << "EOD\n";
    const bool lines = scheme != "fp32" && scheme != "frame";
    plots.push_back("$" + scheme + " using 1:2 with " + (lines ? "linespoints" : "points") + " " +
                    style.at(scheme) + " title '" + scheme + "'");
    if (scheme == "frame")
      plots.push_back("$frame using 1:2:3 with labels offset 0,1 font ',8' notitle");
  }
  std::string plot = "plot ";
  for (size_t i = 0; i < plots.size(); ++i) plot += (i ? ", \\\n     " : "") + plots[i];
  const std::string clip = std::filesystem::path(run.video).filename().string() + ", " +
                           std::to_string(run.results.front().frames) + " frames";
  script << "set multiplot layout 2,1\n"
         << "set title " << gnuplot_quote("IoU vs cost: " + clip + " (person mask vs fp32, p > " +
                                          number(run.threshold) + ")") << "\n"
         << "set yrange [0:1.05]\n" << plot << "\n"
         << "set title " << gnuplot_quote("zoom: at most W8A8 frame quantization's cost (" +
                                          number(w8a8) + " GBOPs), IoU >= " + number(zoom_low))
         << "\n"
         << "unset logscale x\nset xlabel 'GBOPs per frame'\n"
         << "set xrange [" << std::max(0.0, cheapest - 0.1 * w8a8) << ":" << w8a8 * 1.05 << "]\n"
         << "set yrange [" << zoom_low << ":" << std::min(1.005, best + 0.01) << "]\n"
         << plot << "\nunset multiplot\n";

  make_parent_dirs(png);
  FILE* gp = popen("gnuplot 2>&1", "w");
  if (!gp) throw ModelError(png + ": cannot start gnuplot");
  const std::string text = script.str();
  std::fwrite(text.data(), 1, text.size(), gp);
  const int status = pclose(gp);
  if (status != 0)
    throw ModelError(png + ": gnuplot failed (exit status " + std::to_string(status) +
                     "); --plot needs gnuplot with pngcairo (Debian: apt-get install gnuplot-nox)");
}

}  // namespace resq::cli
