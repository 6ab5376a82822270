// `resq policy-map`: the per-pixel activation bit-widths Dynamic-ResQ chooses for one layer over
// a range of frames, drawn over the frames as a contact sheet (the paper's Fig. 6).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "engine/cli/clip_reader.h"
#include "engine/cli/commands.h"
#include "engine/cli/output_file.h"
#include "engine/cli/progress_bar.h"
#include "engine/cli/scheme_options.h"
#include "engine/error.h"
#include "engine/resq/stream_session.h"
#include "engine/stream/model_cache.h"

namespace resq::cli {
namespace {

struct Options {
  std::string model;
  std::string calibration;
  std::string video;
  std::string out;
  SchemeOptions scheme{.bits = "W8A8->W8A{0,4,8}"};
  std::string layer = "0";
  int64_t start_frame = 0;
  int64_t frames = 8;
  int columns = 4;
  int tile_width = 320;
  bool json = false;
  bool progress = true;
};

// Linear layer by index in execution order or by node name.
size_t find_layer(const QuantizedModel& m, const std::string& layer) {
  const auto& nodes = m.linear_nodes();
  for (size_t li = 0; li < nodes.size(); ++li)
    if (m.graph()->nodes[nodes[li]].name == layer) return li;
  try {
    size_t pos = 0;
    const unsigned long li = std::stoul(layer, &pos);
    if (pos == layer.size() && li < nodes.size()) return li;
  } catch (const std::exception&) {
  }
  throw ModelError(m.graph()->source + ": no linear layer '" + layer + "' (give a node name or " +
                   "an index 0.." + std::to_string(nodes.size() - 1) + "; see `resq inspect`)");
}

// 0 bits stay untinted; other bit-widths get warm colours by rank (low: yellow .. high: red).
cv::Scalar bits_colour(int bits, const std::vector<int>& all_bits) {
  static const cv::Scalar palette[] = {{0, 215, 255}, {0, 140, 255}, {0, 0, 230}, {160, 0, 160}};
  std::vector<int> nonzero;
  for (int b : all_bits)
    if (b > 0) nonzero.push_back(b);
  const auto rank = std::find(nonzero.begin(), nonzero.end(), bits) - nonzero.begin();
  return palette[std::min<size_t>(static_cast<size_t>(rank), 3)];
}

cv::Mat draw_tile(const cv::Mat& frame, const std::vector<uint8_t>& map, int h, int w,
                  const std::vector<int>& all_bits, int width, const std::string& caption) {
  const int height = width * frame.rows / frame.cols;
  cv::Mat tile, gray;
  cv::resize(frame, tile, {width, height}, 0, 0, cv::INTER_AREA);
  cv::cvtColor(tile, gray, cv::COLOR_BGR2GRAY);
  cv::cvtColor(gray, tile, cv::COLOR_GRAY2BGR);
  cv::Mat colour(h, w, CV_8UC3, cv::Scalar::all(0)), alpha(h, w, CV_8UC1, cv::Scalar(0));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int b = map[static_cast<size_t>(y * w + x)];
      if (b == 0) continue;
      const cv::Scalar c = bits_colour(b, all_bits);
      colour.at<cv::Vec3b>(y, x) = {static_cast<uchar>(c[0]), static_cast<uchar>(c[1]),
                                     static_cast<uchar>(c[2])};
      alpha.at<uchar>(y, x) = 150;
    }
  cv::resize(colour, colour, tile.size(), 0, 0, cv::INTER_NEAREST);
  cv::resize(alpha, alpha, tile.size(), 0, 0, cv::INTER_NEAREST);
  for (int y = 0; y < tile.rows; ++y)
    for (int x = 0; x < tile.cols; ++x) {
      const float a = alpha.at<uchar>(y, x) / 255.0f;
      auto& p = tile.at<cv::Vec3b>(y, x);
      const auto& c = colour.at<cv::Vec3b>(y, x);
      for (int k = 0; k < 3; ++k) p[k] = cv::saturate_cast<uchar>(p[k] * (1 - a) + c[k] * a);
    }
  cv::rectangle(tile, {0, 0}, {tile.cols, 18}, cv::Scalar::all(0), cv::FILLED);
  cv::putText(tile, caption, {4, 13}, cv::FONT_HERSHEY_SIMPLEX, 0.42, cv::Scalar::all(255), 1,
              cv::LINE_AA);
  return tile;
}

void policy_map_command(const Options& opt) {
  const auto loaded = acquire_model(opt.model, opt.calibration);
  const QuantizedModel& model = *loaded->quantized;
  const Graph& graph = *loaded->graph;
  const StreamConfig config = stream_config(opt.scheme);
  StreamSession session(loaded->quantized, config);
  const size_t li = find_layer(model, opt.layer);
  const Shape& x = model.input_shape(li);
  const PixelLayout& px = model.pixels(li);
  if (x.size() != 4 || px.outer != 1)
    throw ModelError(graph.source + ": layer '" + opt.layer + "' input " + shape_str(x) +
                     " is not one NCHW image; pick a convolution");
  const int h = static_cast<int>(x[2]), w = static_cast<int>(x[3]);
  session.record_bit_map(li);

  const Clip clip =
      read_clip(opt.video, loaded->image, opt.start_frame, opt.frames, "policy-map", /*keep_images=*/true);
  std::vector<int> all_bits = config.bits.res_a_pool;
  all_bits.push_back(config.bits.key_a);
  std::sort(all_bits.begin(), all_bits.end());
  all_bits.erase(std::unique(all_bits.begin(), all_bits.end()), all_bits.end());

  ProgressBar bar("resq policy-map", static_cast<int64_t>(clip.inputs.size()), opt.progress);
  std::vector<cv::Mat> tiles;
  nlohmann::json frames = nlohmann::json::array();
  for (size_t i = 0; i < clip.inputs.size(); ++i) {
    session.process(clip.inputs[i]);
    const FrameCost& c = session.last_cost();
    std::map<int, int64_t> count;
    for (uint8_t b : session.bit_map()) ++count[b];
    std::string caption = "frame " + std::to_string(opt.start_frame + static_cast<int64_t>(i));
    caption += c.keyframe ? " keyframe" : " +" + std::to_string(c.keyframe_distance);
    nlohmann::json shares = nlohmann::json::object();
    for (const auto& [b, n] : count) {
      const double share = static_cast<double>(n) / static_cast<double>(session.bit_map().size());
      shares[std::to_string(b)] = share;
      caption += "  " + std::to_string(b) + "b " + std::to_string(static_cast<int>(share * 100 + 0.5)) + "%";
    }
    frames.push_back({{"frame", opt.start_frame + static_cast<int64_t>(i)},
                      {"keyframe", c.keyframe},
                      {"pixel_bits", shares}});
    tiles.push_back(draw_tile(clip.images[i], session.bit_map(), h, w, all_bits, opt.tile_width,
                              caption));
    bar.update(static_cast<int64_t>(i + 1));
  }
  bar.finish();

  // Contact sheet: tiles in rows, a legend below.
  const int cols = std::min<int>(opt.columns, static_cast<int>(tiles.size()));
  const int rows = (static_cast<int>(tiles.size()) + cols - 1) / cols;
  const int tw = tiles[0].cols, th = tiles[0].rows, legend = 28;
  cv::Mat sheet(rows * th + legend, cols * tw, CV_8UC3, cv::Scalar::all(255));
  for (size_t i = 0; i < tiles.size(); ++i)
    tiles[i].copyTo(sheet(cv::Rect(static_cast<int>(i % cols) * tw,
                                   static_cast<int>(i / cols) * th, tw, th)));
  const std::string layer_name = graph.nodes[model.linear_nodes()[li]].name;
  int lx = 6;
  for (int b : all_bits) {
    const cv::Scalar c = b == 0 ? cv::Scalar::all(160) : bits_colour(b, all_bits);
    cv::rectangle(sheet, {lx, rows * th + 8}, {lx + 14, rows * th + 22}, c, cv::FILLED);
    cv::putText(sheet, std::to_string(b) + " bits", {lx + 18, rows * th + 20},
                cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar::all(0), 1, cv::LINE_AA);
    lx += 80;
  }
  cv::putText(sheet,
              opt.scheme.bits + " T=" + std::to_string(opt.scheme.period) +
                  " tau=" + nlohmann::json(opt.scheme.tau).dump() +
                  ", layer " + std::to_string(li) + " '" + layer_name + "' input " + shape_str(x),
              {lx + 10, rows * th + 20}, cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar::all(0), 1,
              cv::LINE_AA);
  make_parent_dirs(opt.out);
  if (!cv::imwrite(opt.out, sheet)) throw ModelError(opt.out + ": cannot write the image");

  if (opt.json) {
    std::cout << nlohmann::json{{"layer", layer_name}, {"layer_index", li},
                                {"bits", opt.scheme.bits}, {"T", opt.scheme.period},
                                {"tau", opt.scheme.tau},      {"image", opt.out},
                                {"frames", frames}}
                     .dump(2)
              << "\n";
  } else {
    std::printf("resq policy-map: layer %zu '%s', %zu frames -> %s\n", li, layer_name.c_str(),
                tiles.size(), opt.out.c_str());
  }
}

}  // namespace

void add_policy_map(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "policy-map",
      "Draw the per-pixel activation bit-widths Dynamic-ResQ picks for one layer over a range "
      "of frames (untinted: 0 bits, warm colours: more bits), as a PNG contact sheet.");
  cmd->add_option("--model", opt->model, "Model file (.tflite or .onnx)")->required();
  cmd->add_option("--calibration", opt->calibration, "Calibration file from `resq calibrate`")
      ->required();
  cmd->add_option("--video", opt->video, "Clip")->required();
  cmd->add_option("--out", opt->out, "PNG to write")->required();
  add_scheme_options(cmd, opt->scheme, "Configuration (any scheme; Dynamic-ResQ is the point)");
  cmd->add_option("--layer", opt->layer,
                  "Linear layer: index in execution order or node name (`resq inspect`)")
      ->capture_default_str();
  cmd->add_option("--start-frame", opt->start_frame, "First frame")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--frames", opt->frames, "Frames to draw")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1000}));
  cmd->add_option("--columns", opt->columns, "Tiles per row")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_option("--tile-width", opt->tile_width, "Width of each tile in pixels")
      ->capture_default_str()
      ->check(CLI::Range(64, 4096));
  cmd->add_flag("--json", opt->json, "Print per-frame shares of each bit-width as JSON");
  cmd->add_flag("!--no-progress", opt->progress, "Do not draw the progress bar");
  cmd->callback([opt] { policy_map_command(*opt); });
}

}  // namespace resq::cli
