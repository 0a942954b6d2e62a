#include "project_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "rnnc/cell.h"

namespace rnnc::examples {

std::string find_project_file(const std::string& relative) {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates = {fs::path(RNNC_SOURCE_DIR) / relative};
  std::error_code error;
  fs::path executable = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    candidates.push_back(executable.parent_path() / relative);
    candidates.push_back(executable.parent_path() / "../share/rnnc" / relative);
  }
  std::string tried;
  for (const fs::path& candidate : candidates) {
    if (fs::is_regular_file(candidate, error)) return candidate.lexically_normal().string();
    tried += (tried.empty() ? "" : ", ") + candidate.string();
  }
  throw RuntimeError(fmt::format("cannot find {} (tried {})", relative, tried));
}

std::string read_text_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  if (!file || !(text << file.rdbuf())) throw RuntimeError(fmt::format("cannot read {}", path));
  return text.str();
}

}  // namespace rnnc::examples
