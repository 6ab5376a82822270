// Accuracy of a model output against the fp32 reference output of the same frame: the person
// mask IoU at a threshold, the mean absolute difference of the probabilities, and the energies
// that give the output SQNR.
#pragma once

#include <span>

namespace resq {

struct OutputComparison {
  double iou = 1;           // |A and B| / |A or B| of the masks p > threshold; 1 when both empty
  double mean_abs = 0;      // mean |p - p_ref|
  double signal = 0;        // sum p_ref^2
  double error = 0;         // sum (p - p_ref)^2
};

// Throws std::invalid_argument when the sizes differ.
OutputComparison compare_outputs(std::span<const float> p, std::span<const float> reference,
                                 float threshold);

// 10 log10(signal / error) in dB; +infinity when error == 0.
double sqnr_db(double signal, double error);

}  // namespace resq
