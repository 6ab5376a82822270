#include "engine/stream/stream_settings.h"

#include <stdexcept>

namespace resq {
namespace {

// "fp32" or "W<w>A<a>": the keyframe part of a notation.
std::string keyframe_part(const BitConfig& b) {
  if (b.key_w == 32 && b.key_a == 32) return "fp32";
  return "W" + std::to_string(b.key_w) + "A" + std::to_string(b.key_a);
}

BitConfig resolve_bits(QuantScheme scheme, const std::string& text) {
  BitConfig bits;
  try {
    bits = BitConfig::parse(text);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("bits: ") + e.what());
  }
  const std::string name = scheme_name(scheme);
  auto contradiction = [&](const std::string& why) {
    return std::invalid_argument("scheme=" + name + " contradicts bits=" + text + ": " + why);
  };
  switch (scheme) {
    case QuantScheme::kFloat:
      return BitConfig::parse("fp32");
    case QuantScheme::kFrame:
      if (keyframe_part(bits) == "fp32")
        throw contradiction("frame quantization needs quantized bits (or use scheme=fp32)");
      return BitConfig::parse(keyframe_part(bits));
    case QuantScheme::kSkip:
      return BitConfig::parse(keyframe_part(bits) + "->skip");
    case QuantScheme::kResQ:
    case QuantScheme::kDynamicResQ:
      if (bits.scheme != scheme)
        throw contradiction(std::string("bits describe ") + scheme_name(bits.scheme) +
                            (scheme == QuantScheme::kResQ
                                 ? ", resq needs e.g. W8A8->W4A4"
                                 : ", dynamic needs e.g. W8A8->W8A{0,4,8}"));
      return bits;
  }
  throw std::invalid_argument("unknown scheme");
}

}  // namespace

StreamConfig resolve_stream_config(const StreamSettings& settings) {
  if (settings.keyframe_interval < 1)
    throw std::invalid_argument("keyframe-interval must be >= 1, got " +
                                std::to_string(settings.keyframe_interval));
  if (!(settings.tau >= 0))
    throw std::invalid_argument("tau must be >= 0, got " + std::to_string(settings.tau));
  return StreamConfig{resolve_bits(settings.scheme, settings.bits), settings.keyframe_interval,
                      settings.tau};
}

}  // namespace resq
