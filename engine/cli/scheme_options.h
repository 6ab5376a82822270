// The --bits / --T / --tau options of the commands that run one stream configuration, and the
// StreamConfig they give.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "engine/resq/stream_session.h"

namespace resq::cli {

struct SchemeOptions {
  std::string bits;  // the paper's notation
  int period = 4;
  double tau = 3;
};

void add_scheme_options(CLI::App* cmd, SchemeOptions& options, const std::string& bits_help);
// Throws ModelError naming --bits when the notation does not parse.
StreamConfig stream_config(const SchemeOptions& options);

}  // namespace resq::cli
