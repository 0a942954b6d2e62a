#include "output_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli_support.h"

namespace rnnc::cli {

namespace {

// Writes `contents` to a new temporary file next to `path`; returns its
// name, or throws with errno's reason.
std::string write_temporary(const std::string& path, const std::string& contents) {
  std::string name = path + ".tmpXXXXXX";
  int fd = mkstemp(name.data());
  if (fd < 0) throw UsageError{fmt::format("cannot write '{}': {}", path, std::strerror(errno))};
  std::size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += std::size_t(n);
  }
  int error = written == contents.size() ? 0 : errno;
  if (close(fd) != 0 && error == 0) error = errno;
  if (error != 0 || written != contents.size()) {
    unlink(name.c_str());
    throw UsageError{fmt::format("cannot write '{}': {}", path, std::strerror(error ? error : EIO))};
  }
  // mkstemp creates the file for its owner only; an output file gets the
  // usual permissions.
  mode_t mask = umask(0);
  umask(mask);
  chmod(name.c_str(), 0666 & ~mask);
  return name;
}

}  // namespace

void OutputFiles::add(std::string path, std::string contents) {
  files_.emplace_back(std::move(path), std::move(contents));
}

void OutputFiles::commit() {
  std::vector<std::string> temporaries;
  try {
    for (const auto& [path, contents] : files_) temporaries.push_back(write_temporary(path, contents));
  } catch (const UsageError&) {
    for (const std::string& temporary : temporaries) unlink(temporary.c_str());
    throw;
  }
  for (std::size_t i = 0; i < files_.size(); ++i) {
    if (std::rename(temporaries[i].c_str(), files_[i].first.c_str()) == 0) continue;
    int error = errno;
    for (std::size_t j = 0; j < files_.size(); ++j) unlink((j < i ? files_[j].first : temporaries[j]).c_str());
    throw UsageError{fmt::format("cannot write '{}': {}", files_[i].first, std::strerror(error))};
  }
}

}  // namespace rnnc::cli
