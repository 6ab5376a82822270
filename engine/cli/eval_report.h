// What `resq eval` writes: the JSON document (schema in the README), the CSV table and the
// IoU-vs-GBOPs plot (drawn by gnuplot).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/eval/evaluator.h"

namespace resq::cli {

struct EvalRun {
  std::string model;
  std::string calibration;
  std::string video;
  int64_t start_frame = 0;
  float threshold = 0.5f;
  std::vector<EvalResult> results;
};

nlohmann::json eval_json(const EvalRun& run);
// One row per configuration; pixel and distance columns for every bit-width and distance seen.
std::string eval_csv(const EvalRun& run);
// Runs gnuplot (pngcairo) to draw IoU against GBOPs/frame, one series per scheme, into `png`.
// Throws ModelError when gnuplot is missing or fails.
void eval_plot(const EvalRun& run, const std::string& png);

}  // namespace resq::cli
