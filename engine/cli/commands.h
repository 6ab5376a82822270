// Subcommands of the `resq` CLI. Each registers itself on the app and runs when selected.
#pragma once

#include <CLI/CLI.hpp>

namespace resq::cli {

// Exit codes: 0 success, 1 the work failed (bad model, bad input, I/O), 2 bad command line.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

void add_inspect(CLI::App& app);
void add_run_tensors(CLI::App& app);
void add_run(CLI::App& app);
void add_calibrate(CLI::App& app);
void add_eval(CLI::App& app);
void add_policy_map(CLI::App& app);
void add_bench(CLI::App& app);

}  // namespace resq::cli
