// CLI11 parsing with resq's exit codes: 0 after --help, 2 for a bad command line (CLI11's own
// codes, such as 105, would mean nothing to scripts).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>

namespace resq::server {

// nullopt: parsed, go on; otherwise main returns this code (the message is printed).
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
}

}  // namespace resq::server
