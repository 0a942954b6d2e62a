// Progress lines are throttled and show step, loss, throughput and time;
// the loss curve is written as CSV, and as a PNG only when gnuplot is there.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "rnnc/cell.h"
#include "rnnc/progress.h"
#include "support/temporary_directory.h"

namespace {

using rnnc::testing::TemporaryDirectory;
using namespace std::chrono_literals;

// A clock the test moves by hand.
struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  rnnc::ProgressReporter::Clock function() {
    return [this] { return now; };
  }
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Sets PATH for the lifetime of the object.
class PathOverride {
 public:
  explicit PathOverride(const std::string& path) : saved_(std::getenv("PATH") ? std::getenv("PATH") : "") {
    setenv("PATH", path.c_str(), 1);
  }
  ~PathOverride() { setenv("PATH", saved_.c_str(), 1); }

 private:
  std::string saved_;
};

// An executable `gnuplot` in `directory` that runs `body` (sh), with the
// script's path in $1.
void fake_gnuplot(const TemporaryDirectory& directory, const std::string& body) {
  const std::string path = directory.file("gnuplot");
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  chmod(path.c_str(), 0755);
}

rnnc::LossCurve small_curve() {
  rnnc::LossCurve curve;
  curve.add(1, 2.5);
  curve.add(2, 1.25, 1.5);
  curve.add(3, 0.1);
  return curve;
}

}  // namespace

TEST_CASE("progress: quiet prints nothing", "[progress]") {
  std::ostringstream out;
  FakeClock clock;
  rnnc::ProgressReporter progress(10, true, out, "chars/s", clock.function());
  for (int step = 1; step <= 10; ++step) {
    clock.now += 2s;
    progress.update(step, 1.0, step * 100.0);
  }
  CHECK(out.str().empty());
}

TEST_CASE("progress: a line about once a second and at the end, with loss, throughput and time", "[progress]") {
  std::ostringstream out;
  FakeClock clock;
  {
    rnnc::ProgressReporter progress(100, false, out, "chars/s", clock.function());
    clock.now += 500ms;
    progress.update(5, 2.5, 19100);  // under a second since the start: nothing
    CHECK(out.str().empty());
    clock.now += 500ms;
    progress.update(10, 1.734, 38200);  // 38200 chars in 1 s; 90 steps left at 10 per second
    CHECK(out.str() == "step 10/100  loss 1.734  38.2k chars/s  elapsed 0:01  left 0:09\n");
    clock.now += 900ms;
    progress.update(19, 1.5, 70000);  // under a second since the last line
    clock.now += 200ms;
    progress.update(21, 1.5, 84000);
    clock.now += 100ms;
    progress.update(100, 0.98765, 4.8e6);  // the last step prints at once: 4.8M chars in 2.2 s
    clock.now += 5s;
    progress.update(100, 0.98765, 4.8e6);  // and only once
  }
  std::vector<std::string> lines;
  std::istringstream text(out.str());
  for (std::string line; std::getline(text, line);) lines.push_back(line);
  REQUIRE(lines.size() == 3);
  CHECK(lines[1] == "step 21/100  loss 1.5  40.0k chars/s  elapsed 0:02  left 0:08");
  CHECK(lines[2] == "step 100/100  loss 0.9877  2.2M chars/s  elapsed 0:02  left 0:00");
}

TEST_CASE("progress: long runs show hours, and a rate below a thousand is whole", "[progress]") {
  std::ostringstream out;
  FakeClock clock;
  rnnc::ProgressReporter progress(2, false, out, "sequences/s", clock.function());
  clock.now += 3725s;
  progress.update(1, 3.0, 2 * 3725 + 1);
  CHECK(out.str() == "step 1/2  loss 3  2 sequences/s  elapsed 1:02:05  left 1:02:05\n");
}

TEST_CASE("progress: work without a loss leaves it out of the line", "[progress]") {
  std::ostringstream out;
  FakeClock clock;
  rnnc::ProgressReporter progress(4, false, out, "files/s", clock.function());
  clock.now += 2s;
  progress.update(4, std::nan(""), 4);
  CHECK(out.str() == "step 4/4  2 files/s  elapsed 0:02  left 0:00\n");
}

TEST_CASE("progress: the loss curve as CSV", "[progress]") {
  TemporaryDirectory directory;
  const std::string path = directory.file("loss.csv");
  small_curve().write_csv(path);
  CHECK(read_text(path) == "step,train_loss,val_loss\n1,2.5,\n2,1.25,1.5\n3,0.1,\n");
  CHECK(directory.entries() == std::vector<std::string>{"loss.csv"});
  CHECK(small_curve().points().size() == 3);
  CHECK_THROWS_AS(small_curve().write_csv(directory.file("no/such/dir/loss.csv")), rnnc::RuntimeError);
}

TEST_CASE("progress: without gnuplot write_png returns false and writes nothing", "[progress]") {
  TemporaryDirectory empty, output;
  PathOverride path(empty.path().string());
  CHECK_FALSE(small_curve().write_png(output.file("loss.png")));
  CHECK(output.entries().empty());
}

TEST_CASE("progress: write_png runs gnuplot on a script and keeps its PNG only when it succeeds", "[progress]") {
  TemporaryDirectory tools, output;
  PathOverride path(tools.path().string() + ":/usr/bin:/bin");  // the fake first, then sed and grep
  // Stands in for gnuplot: writes a fake PNG where the script's `set output` says.
  fake_gnuplot(tools,
               "out=$(sed -n \"s/^set output '\\(.*\\)'$/\\1/p\" \"$1\")\n"
               "grep -q \"using 1:3\" \"$1\" || exit 3\n"  // validation losses are plotted
               "printf '\\211PNG fake' > \"$out\"");
  const std::string png = output.file("loss.png");
  REQUIRE(small_curve().write_png(png));
  CHECK(read_text(png) == "\x89PNG fake");
  CHECK(output.entries() == std::vector<std::string>{"loss.png"});

  fake_gnuplot(tools, "exit 1");
  CHECK_FALSE(small_curve().write_png(output.file("other.png")));
  CHECK(output.entries() == std::vector<std::string>{"loss.png"});
}
