#include "engine/cli/output_file.h"

#include <filesystem>
#include <fstream>

#include "engine/error.h"

namespace resq::cli {

void make_parent_dirs(const std::string& path) {
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir);
}

void write_text(const std::string& path, const std::string& text) {
  make_parent_dirs(path);
  std::ofstream f(path);
  if (!(f << text)) throw ModelError(path + ": cannot write");
}

}  // namespace resq::cli
