#include "atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "rnnc/cell.h"

namespace rnnc {

namespace {

std::function<void(AtomicWriteStep, std::size_t)>& fault_hook() {
  static std::function<void(AtomicWriteStep, std::size_t)> hook;
  return hook;
}

void before(AtomicWriteStep step, std::size_t bytes_written = 0) {
  if (fault_hook()) fault_hook()(step, bytes_written);
}

[[noreturn]] void fail(const std::string& path, std::string_view what, int error) {
  throw RuntimeError(fmt::format("{}: {}: {}", path, what, std::strerror(error)));
}

std::string directory_of(const std::string& path) {
  std::string directory = std::filesystem::path(path).parent_path().string();
  return directory.empty() ? "." : directory;
}

// Creates a temporary file next to `path` and returns its name and
// descriptor. Named after the target, the process and a counter, and
// created with O_EXCL, so concurrent writers (and leftovers of a crashed
// process with a recycled pid) never share one. Mode 0666 less the umask,
// like any new file — mkstemp would make it 0600.
std::pair<std::string, int> create_temporary(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  const std::string prefix =
      fmt::format("{}/.{}.tmp-{}-", directory_of(path), std::filesystem::path(path).filename().string(), getpid());
  for (;;) {
    std::string name = prefix + std::to_string(counter++);
    int descriptor = open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (descriptor >= 0) return {name, descriptor};
    if (errno != EEXIST) fail(path, "cannot create a temporary file", errno);
  }
}

void write_all(const std::string& path, int descriptor, std::string_view contents) {
  std::size_t written = 0;
  while (written < contents.size()) {
    before(AtomicWriteStep::write, written);
    std::size_t chunk = std::min(contents.size() - written, atomic_write_chunk_bytes);
    ssize_t result = write(descriptor, contents.data() + written, chunk);
    if (result < 0 && errno == EINTR) continue;
    if (result < 0) fail(path, "cannot write", errno);
    written += std::size_t(result);
  }
}

void sync_directory(const std::string& path) {
  before(AtomicWriteStep::sync_directory);
  int descriptor = open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (descriptor < 0) fail(path, "cannot open its directory to sync it", errno);
  // Some file systems cannot sync a directory (EINVAL); the rename stands.
  int error = fsync(descriptor) == 0 || errno == EINVAL ? 0 : errno;
  close(descriptor);
  if (error != 0) fail(path, "cannot sync its directory", error);
}

}  // namespace

void set_atomic_write_fault_hook(std::function<void(AtomicWriteStep, std::size_t)> hook) {
  fault_hook() = std::move(hook);
}

void write_file_atomically(const std::string& path, std::string_view contents) {
  before(AtomicWriteStep::open_temporary);
  auto [temporary, descriptor] = create_temporary(path);
  try {
    write_all(path, descriptor, contents);
    before(AtomicWriteStep::sync_file);
    if (fsync(descriptor) != 0) fail(path, "cannot sync", errno);
    before(AtomicWriteStep::close);
    // close() can report a deferred write error (NFS), so it is checked.
    int closed = close(descriptor);
    descriptor = -1;
    if (closed != 0) fail(path, "cannot close", errno);
    before(AtomicWriteStep::rename);
    if (std::rename(temporary.c_str(), path.c_str()) != 0) fail(path, "cannot replace", errno);
  } catch (...) {
    if (descriptor >= 0) close(descriptor);
    unlink(temporary.c_str());
    throw;
  }
  sync_directory(path);
}

}  // namespace rnnc
