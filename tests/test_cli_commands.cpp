// The gradient and kernel commands: grad, gradcheck, verify, bench; and
// the kernel cache's command and switches.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <optional>
#include <sstream>
#include <string>

#include "diagnostics_support.h"
#include "support/temporary_directory.h"

using rnnc_test::RunResult;
using rnnc_test::run_rnnc;

namespace {

const std::string kLstm = std::string(RNNC_SOURCE_DIR) + "/dsl/lstm.cell";

}  // namespace

TEST_CASE("cli: grad prints the LSTM's backward equations and its workspace", "[cli]") {
  RunResult result = run_rnnc({"grad", kLstm, "-D", "I=3", "-D", "H=4"});
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("saved per step and sample: tanh(c')[4], o[4], g[4], i[4], f[4] (20 floats)"));
  CHECK_THAT(result.out, Catch::Contains("workspace 28 floats per step and sample"));
  CHECK_THAT(result.out, Catch::Contains("dc = t2 * f    # to step t-1"));
  CHECK_THAT(result.out, Catch::Contains("dW_hh += t3 ⊗ h"));
}

TEST_CASE("cli: gradcheck passes on a standard cell and reports every gradient", "[cli]") {
  RunResult result = run_rnnc({"gradcheck", kLstm, "-D", "I=3", "-D", "H=4", "--steps", "2", "--batch", "1"});
  CHECK(result.exit_code == 0);
  for (const char* name : {"param W_ih", "param W_hh", "param b_ih", "param b_hh", "input x", "initial state h",
                           "initial state c"}) {
    CHECK_THAT(result.out, Catch::Contains(name));
  }
  CHECK_THAT(result.out, Catch::Contains("gradcheck passed"));
}

TEST_CASE("cli: verify passes on a standard cell, on the host and on plain x86-64", "[cli]") {
  for (const char* cpu : {"", "x86-64"}) {
    std::vector<std::string> args = {"verify", kLstm, "-D", "I=3", "-D", "H=5", "--steps", "3", "--batch", "2"};
    if (*cpu) args.insert(args.end(), {"--target-cpu", cpu});
    RunResult result = run_rnnc(args);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("bwd param W_hh"));
    CHECK_THAT(result.out, Catch::Contains("verify passed"));
  }
}

TEST_CASE("cli: kernel commands refuse bad targets and options with one line", "[cli]") {
  RunResult cpu = run_rnnc({"verify", kLstm, "-D", "I=3", "-D", "H=5", "--target-cpu", "no-such-cpu"});
  CHECK(cpu.exit_code == 2);
  CHECK(cpu.err == "rnnc: error: cannot compile '" + kLstm + "': unknown target CPU 'no-such-cpu'\n");
  RunResult threads = run_rnnc({"bench", kLstm, "-D", "I=3", "-D", "H=5", "--threads", "0"});
  CHECK(threads.exit_code == 2);
  CHECK(threads.err == "rnnc: error: --threads: Value 0 not in range 1 to 256; see 'rnnc --help'\n");
  RunResult steps = run_rnnc({"gradcheck", kLstm, "-D", "I=3", "-D", "H=5", "--steps", "0"});
  CHECK(steps.exit_code == 2);
  RunResult cell_error = run_rnnc({"verify", kLstm, "-D", "I=3"});
  CHECK(cell_error.exit_code == 1);
  CHECK_THAT(cell_error.err, Catch::Contains("dimension 'H' has no value"));
}

TEST_CASE("cli: a sequence too large for memory is refused with one line", "[cli]") {
  // 10^5 steps × 10^6 samples × 4·10^3 floats: far beyond any machine
  // (the weights themselves, 4000², are small enough to allocate quickly).
  RunResult result = run_rnnc({"bench", std::string(RNNC_SOURCE_DIR) + "/dsl/rnn.cell", "-D", "I=4", "-D", "H=4000",
                               "--batch", "1000000", "--steps", "100000"});
  CHECK(result.exit_code == 2);
  CHECK(result.err == "rnnc: error: out of memory; try smaller dimensions, --steps or --batch\n");
}

namespace {

// Sets an environment variable for the test's children, restoring it after.
class ScopedEnvironment {
 public:
  ScopedEnvironment(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnvironment() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::size_t count_lines(const std::string& text, const std::string& containing) {
  std::size_t count = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) count += line.find(containing) != std::string::npos;
  return count;
}

}  // namespace

TEST_CASE("cli: the kernel cache's path list and clear; --no-cache neither reads nor writes it", "[cli][cache]") {
  rnnc::testing::TemporaryDirectory directory;
  const std::string cache = directory.file("cache");
  ScopedEnvironment environment("RNNC_CACHE_DIR", cache);
  RunResult path = run_rnnc({"cache", "path"});
  CHECK(path.exit_code == 0);
  CHECK(path.out == cache + "\n");
  const std::vector<std::string> verify = {"verify", kLstm, "-D", "I=3", "-D", "H=4"};
  std::vector<std::string> uncached = verify;
  uncached.push_back("--no-cache");
  CHECK(run_rnnc(uncached).exit_code == 0);
  CHECK(count_lines(run_rnnc({"cache", "list"}).out, "lstm<I=3, H=4>") == 0);
  CHECK(run_rnnc(verify).exit_code == 0);
  RunResult listed = run_rnnc({"cache", "list"});
  CHECK(listed.exit_code == 0);
  CHECK(count_lines(listed.out, "lstm<I=3, H=4>") == 3);  // the JIT's three modules
  CHECK(count_lines(listed.out, " jit backward ") == 1);
  CHECK(run_rnnc({"compile", kLstm, "-D", "I=3", "-D", "H=4", "-o", directory.file("lstm")}).exit_code == 0);
  CHECK(count_lines(run_rnnc({"cache", "list"}).out, " object ") == 1);
  RunResult cleared = run_rnnc({"cache", "clear"});
  CHECK(cleared.exit_code == 0);
  CHECK(cleared.out.find("removed 4 entries") != std::string::npos);
  CHECK(count_lines(run_rnnc({"cache", "list"}).out, "lstm") == 0);
  CHECK(run_rnnc({"cache", "nonsense"}).exit_code == 2);
}

TEST_CASE("cli: two processes compiling the same cell into one kernel cache at once both succeed", "[cli][cache]") {
  rnnc::testing::TemporaryDirectory directory;
  ScopedEnvironment environment("RNNC_CACHE_DIR", directory.file("cache"));
  const std::vector<std::string> verify = {"verify", kLstm, "-D", "I=5", "-D", "H=6", "--steps", "2"};
  auto first = std::async(std::launch::async, [&] { return run_rnnc(verify); });
  auto second = std::async(std::launch::async, [&] { return run_rnnc(verify); });
  RunResult a = first.get(), b = second.get();
  CHECK(a.exit_code == 0);
  CHECK(b.exit_code == 0);
  CHECK(a.err.empty());
  CHECK(b.err.empty());
  CHECK(count_lines(run_rnnc({"cache", "list"}).out, "lstm<I=5, H=6>") == 3);
  CHECK(run_rnnc(verify).exit_code == 0);  // and a third loads what they stored
}

TEST_CASE("cli: an unsafe kernel cache directory is one warning and no failure", "[cli][cache]") {
  rnnc::testing::TemporaryDirectory directory;
  std::filesystem::permissions(directory.path(), std::filesystem::perms::all);  // world-writable
  ScopedEnvironment environment("RNNC_CACHE_DIR", directory.path().string());
  RunResult result = run_rnnc({"verify", kLstm, "-D", "I=3", "-D", "H=4"});
  CHECK(result.exit_code == 0);
  CHECK(count_lines(result.err, "warning: kernel cache") == 1);
  CHECK(count_lines(result.err, "writable by others") == 1);
  RunResult list = run_rnnc({"cache", "list"});
  CHECK(list.exit_code == 2);
  CHECK(list.err.find("writable by others") != std::string::npos);
}

TEST_CASE("cli: bench times a cached compile", "[cli][cache]") {
  RunResult result = run_rnnc({"bench", kLstm, "-D", "I=3", "-D", "H=4", "--steps", "2", "--batch", "1"});
  CHECK(result.exit_code == 0);
  CHECK(count_lines(result.out, "compile cached ") == 1);
  RunResult uncached =
      run_rnnc({"bench", kLstm, "-D", "I=3", "-D", "H=4", "--steps", "2", "--batch", "1", "--no-cache"});
  CHECK(count_lines(uncached.out, "compile cached ") == 0);
}
