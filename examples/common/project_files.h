// Finding the files the examples need (the standard cells in dsl/, a
// fallback text) whether they run from a build tree or from elsewhere.
#pragma once

#include <string>

namespace rnnc::examples {

// The path of `relative` (e.g. "dsl/lstm.cell"): in the source tree the
// examples were built from, else next to the executable or in
// ../share/rnnc/ beside it. Throws RuntimeError naming the places tried.
std::string find_project_file(const std::string& relative);

// The whole file; throws RuntimeError when it cannot be read.
std::string read_text_file(const std::string& path);

}  // namespace rnnc::examples
