// resq: command-line front end of the ResQ engine.
#include <exception>
#include <iostream>

#include "engine/cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"resq: residual-quantized video perception engine"};
  app.require_subcommand(1);
  resq::cli::add_inspect(app);
  resq::cli::add_run_tensors(app);
  resq::cli::add_run(app);
  resq::cli::add_calibrate(app);
  resq::cli::add_eval(app);
  resq::cli::add_policy_map(app);
  resq::cli::add_bench(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return resq::cli::kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "resq: " << e.what() << "\n";
    return resq::cli::kExitFailure;
  }
  return 0;
}
