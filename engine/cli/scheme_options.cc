#include "engine/cli/scheme_options.h"

#include <stdexcept>

#include "engine/error.h"

namespace resq::cli {

void add_scheme_options(CLI::App* cmd, SchemeOptions& options, const std::string& bits_help) {
  cmd->add_option("--bits", options.bits, bits_help)->capture_default_str();
  cmd->add_option("--T", options.period, "Keyframe interval")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--tau", options.tau, "Dynamic-ResQ threshold")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
}

StreamConfig stream_config(const SchemeOptions& options) {
  try {
    return StreamConfig{BitConfig::parse(options.bits), options.period, options.tau};
  } catch (const std::invalid_argument& e) {
    throw ModelError(std::string("--bits: ") + e.what());
  }
}

}  // namespace resq::cli
