// Runs the real `rnnc` binary (and other programs: a C compiler, nm, cmake)
// for the diagnostics and command-line tests and captures what it prints.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace rnnc_test {

struct RunResult {
  int exit_code = -1;  // 128 + the signal when the process was killed
  std::string out;
  std::string err;
};

inline std::string read_whole_file(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  std::ostringstream text;
  text << stream.rdbuf();
  return text.str();
}

// A temporary file that is removed when it goes out of scope.
class TempFile {
 public:
  TempFile() {
    char pattern[] = "/tmp/rnnc_test_XXXXXX";
    fd_ = mkstemp(pattern);
    if (fd_ < 0) throw std::runtime_error("cannot create a temporary file");
    path_ = pattern;
  }
  ~TempFile() {
    close(fd_);
    unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const { return fd_; }
  std::string contents() const { return read_whole_file(path_); }

 private:
  int fd_ = -1;
  std::string path_;
};

// Runs the program argv[0] (looked up in PATH when it has no slash) with
// `argv` in the directory `cwd` (the current one when empty), stdin from
// /dev/null, and returns its exit code and output.
inline RunResult run_command(std::vector<std::string> argv_strings, const std::string& cwd = "") {
  TempFile out, err;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd(), 1);
  posix_spawn_file_actions_adddup2(&actions, err.fd(), 2);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());

  std::vector<char*> argv;
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);

  pid_t pid = 0;
  int spawn_error = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) throw std::runtime_error("cannot run " + argv_strings[0]);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) throw std::runtime_error("lost the process " + argv_strings[0]);

  RunResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = out.contents();
  result.err = err.contents();
  return result;
}

// Runs RNNC_BINARY with `args`, as run_command does.
inline RunResult run_rnnc(const std::vector<std::string>& args, const std::string& cwd = "") {
  std::vector<std::string> argv{RNNC_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, cwd);
}

}  // namespace rnnc_test
