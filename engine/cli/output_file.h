// Output files of the CLI commands: parent folders are created, failures name the path.
#pragma once

#include <string>

namespace resq::cli {

// Creates the folders `path` lives in (nothing for a bare file name).
void make_parent_dirs(const std::string& path);
// Writes `text` to `path` (parent folders created); throws ModelError naming the path.
void write_text(const std::string& path, const std::string& text);

}  // namespace resq::cli
