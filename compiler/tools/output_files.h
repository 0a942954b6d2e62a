// Writes a command's output files all or none: each is written to a
// temporary file beside it, and only when all are written are they renamed
// into place. On a failure nothing is left behind and a UsageError names
// the file that could not be written.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace rnnc::cli {

class OutputFiles {
 public:
  void add(std::string path, std::string contents);
  void commit();

 private:
  std::vector<std::pair<std::string, std::string>> files_;  // path, contents
};

}  // namespace rnnc::cli
