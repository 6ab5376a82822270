#include "engine/eval/eval_grid.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace resq {

const char* const kDefaultGrid = R"(# fp32 (the reference against itself) and frame quantization
fp32
W8A8
W6A6
W8A4
W4A8
W4A4
W3A3
# ResQ: keyframe every T frames, residuals at low precision in between
W8A8->W4A4 T=2,3,4,6,8
W8A8->W8A4 T=2,3,4,6,8
W8A8->W4A8 T=2,3,4,6,8
W8A4->W8A3 T=2,3,4,6,8
W4A4->W3A3 T=2,3,4,6,8
# Dynamic-ResQ: per-pixel residual bits; tau in this engine's units (the paper's 3e-4 included)
W8A8->W8A{0,4,8} T=3,6 tau=0.0003,0.3,1,3,10,30
W8A8->W8A{0,3,4} T=3,6 tau=0.0003,0.3,1,3,10,30
W8A8->W4A{0,4,8} T=3,6 tau=0.0003,0.3,1,3,10,30
# Frame skipping: run on keyframes only, repeat the output
fp32->skip T=2,3,4,6,8
W8A8->skip T=2,3,4,6,8
)";

namespace {

std::string format_tau(double tau) {
  std::ostringstream s;
  s << tau;
  return s.str();
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(sep, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

}  // namespace

std::string EvalConfig::label() const {
  std::string text = stream.bits.to_string();
  if (has_period()) text += " T=" + std::to_string(stream.period);
  if (has_tau()) text += " tau=" + format_tau(stream.tau);
  return text;
}

std::vector<EvalConfig> parse_grid(std::string_view text, const std::string& source) {
  std::vector<EvalConfig> grid;
  std::istringstream lines{std::string(text)};
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    const std::string where = source + ":" + std::to_string(number) + ": ";
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream words(line);
    std::string bits_text;
    if (!(words >> bits_text)) continue;
    BitConfig bits;
    try {
      bits = BitConfig::parse(bits_text);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(where + e.what());
    }
    std::vector<int> periods;
    std::vector<double> taus;
    std::string word;
    while (words >> word) {
      const bool is_t = word.rfind("T=", 0) == 0, is_tau = word.rfind("tau=", 0) == 0;
      if (!is_t && !is_tau)
        throw std::invalid_argument(where + "unknown field '" + word + "' (expected T=... or tau=...)");
      if ((is_t && !periods.empty()) || (is_tau && !taus.empty()))
        throw std::invalid_argument(where + "'" + word + "' given twice");
      for (const std::string& v : split(word.substr(is_t ? 2 : 4), ',')) {
        if (is_t) {
          int p = 0;
          auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), p);
          if (ec != std::errc() || end != v.data() + v.size() || p < 1)
            throw std::invalid_argument(where + "T '" + v + "' is not an integer >= 1");
          periods.push_back(p);
        } else {
          char* end = nullptr;
          const double tau = std::strtod(v.c_str(), &end);
          if (v.empty() || *end != '\0' || !std::isfinite(tau) || tau < 0)
            throw std::invalid_argument(where + "tau '" + v + "' is not a number >= 0");
          taus.push_back(tau);
        }
      }
    }
    EvalConfig proto{StreamConfig{bits, 1, 0.0}};
    if (proto.has_period() != !periods.empty())
      throw std::invalid_argument(where + bits_text + (proto.has_period()
                                                           ? " needs T=... (keyframe interval)"
                                                           : " takes no T (no keyframes)"));
    if (proto.has_tau() != !taus.empty())
      throw std::invalid_argument(where + bits_text + (proto.has_tau()
                                                           ? " needs tau=... (Dynamic-ResQ)"
                                                           : " takes no tau (not Dynamic-ResQ)"));
    if (periods.empty()) periods = {1};
    if (taus.empty()) taus = {0.0};
    for (int p : periods)
      for (double tau : taus) grid.push_back(EvalConfig{StreamConfig{bits, p, tau}});
  }
  if (grid.empty()) throw std::invalid_argument(source + ": the grid lists no configuration");
  return grid;
}

}  // namespace resq
