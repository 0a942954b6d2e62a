#include "rnnc/child_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "rnnc/cell.h"

extern char** environ;

namespace rnnc {

namespace {

// Closes a file descriptor when it goes out of scope.
struct Descriptor {
  int fd = -1;
  ~Descriptor() {
    if (fd >= 0) close(fd);
  }
};

std::string first_line(const std::string& text) {
  const std::size_t end = text.find('\n');
  return text.substr(0, end);
}

}  // namespace

void run_program(const std::vector<std::string>& argv) {
  if (argv.empty()) throw RuntimeError("no command to run");
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw RuntimeError(fmt::format("cannot run {}: {}", argv[0], std::strerror(errno)));
  Descriptor read_end{pipe_fds[0]}, write_end{pipe_fds[1]};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.fd, STDERR_FILENO);
  std::vector<char*> arguments;
  for (const std::string& argument : argv) arguments.push_back(const_cast<char*>(argument.c_str()));
  arguments.push_back(nullptr);
  pid_t child = 0;
  const int spawned = posix_spawnp(&child, argv[0].c_str(), &actions, nullptr, arguments.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned == ENOENT) {
    throw RuntimeError(fmt::format("{} is not installed (.ci/install-deps.sh installs it)", argv[0]));
  }
  if (spawned != 0) throw RuntimeError(fmt::format("cannot run {}: {}", argv[0], std::strerror(spawned)));
  close(write_end.fd);
  write_end.fd = -1;

  std::string errors;
  char buffer[4096];
  for (ssize_t n; (n = read(read_end.fd, buffer, sizeof buffer)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    if (errors.size() < 65536) errors.append(buffer, std::size_t(n));
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  const std::string reason = WIFSIGNALED(status) ? fmt::format("killed by signal {}", WTERMSIG(status))
                                                 : fmt::format("exit status {}", WEXITSTATUS(status));
  throw RuntimeError(fmt::format("{} failed ({}){}{}", argv[0], reason, errors.empty() ? "" : ": ",
                                 first_line(errors)));
}

}  // namespace rnnc
