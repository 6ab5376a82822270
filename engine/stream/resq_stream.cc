#include "engine/stream/resq_stream.h"

#include <stdexcept>
#include <string>

#include "engine/image_tensor.h"

namespace resq {

ResQStream::ResQStream(std::shared_ptr<const LoadedModel> model, const StreamConfig& config,
                       std::optional<size_t> bit_map_layer)
    : model_(std::move(model)),
      session_((check(*model_, config), StreamSession(model_->quantized, config))),
      inputs_(1) {
  if (!bit_map_layer) return;
  const QuantizedModel& q = *model_->quantized;
  const size_t li = *bit_map_layer;
  if (li >= q.linear_nodes().size())
    throw std::out_of_range("bit-map-layer " + std::to_string(li) + ": the model has " +
                            std::to_string(q.linear_nodes().size()) + " linear layers");
  const Shape& x = q.input_shape(li);
  if (x.size() != 4 || q.pixels(li).outer != 1)
    throw std::out_of_range("bit-map-layer " + std::to_string(li) + ": its input " + shape_str(x) +
                            " is not one NCHW image; pick a convolution");
  bit_map_height_ = static_cast<int>(x[2]);
  bit_map_width_ = static_cast<int>(x[3]);
  session_.record_bit_map(li);
}

void ResQStream::check(const LoadedModel& model, const StreamConfig& config) {
  const BitConfig& b = config.bits;
  const bool quantized = !(b.key_w == 32 && b.key_a == 32) || b.scheme == QuantScheme::kResQ ||
                         b.scheme == QuantScheme::kDynamicResQ;
  if (quantized && model.calibration_path.empty())
    throw std::invalid_argument(b.to_string() +
                                " quantizes activations and needs the `calibration` property "
                                "(only fp32 and fp32->skip run without one)");
  try {
    StreamSession::check_config(*model.quantized, config);
  } catch (const std::out_of_range& e) {  // bit-widths the calibration has no ranges for
    throw std::invalid_argument(b.to_string() + ": " + e.what());
  }
}

void ResQStream::set_config(const StreamConfig& config) {
  check(*model_, config);
  session_.set_config(config);
}

void ResQStream::process(const cv::Mat& bgr) {
  process([&bgr] { return bgr; });
}

void ResQStream::process(const std::function<cv::Mat()>& bgr) {
  outputs_ = session_.process([&]() -> std::span<const Tensor> {
    frame_to_tensor(bgr(), model_->image, inputs_[0]);
    return inputs_;
  });
}

}  // namespace resq
