// What a long training run shows while it runs and leaves behind: a
// progress line, and the loss curve as CSV (and as a PNG when gnuplot is
// installed).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace rnnc {

// Prints, at most about once a second and at the last step, a line such as
//   step 1200/5000  loss 1.734  38.2k chars/s  elapsed 0:31  left 1:39
// On a terminal (std::cout or std::cerr when they are one) the line is
// redrawn in place after a progress bar; elsewhere each print is a new line.
class ProgressReporter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `unit` names what items_done counts per second, e.g. "chars/s". Quiet
  // prints nothing. `clock` is for tests.
  ProgressReporter(std::int64_t total_steps, bool quiet, std::ostream& out, std::string unit,
                   Clock clock = std::chrono::steady_clock::now);
  ~ProgressReporter();  // ends a line left open on a terminal
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // `step` of total_steps is done; items_done counts all items so far. A
  // NaN loss is left out of the line (work that has none, such as making data).
  void update(std::int64_t step, double loss, double items_done);

 private:
  std::string line(std::int64_t step, double loss, double items_done, double elapsed_seconds) const;

  std::int64_t total_steps_;
  bool quiet_;
  std::ostream& out_;
  std::string unit_;
  Clock clock_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_, last_print_;
  bool printed_last_step_ = false;
  std::size_t open_line_width_ = 0;  // of the line being redrawn on a terminal
};

class LossCurve {
 public:
  struct Point {
    std::int64_t step;
    double train_loss;
    std::optional<double> validation_loss;
  };

  void add(std::int64_t step, double train_loss, std::optional<double> validation_loss = std::nullopt);
  const std::vector<Point>& points() const;
  // Header "step,train_loss,val_loss", an empty val_loss where there is
  // none. Replaces `path` atomically; throws RuntimeError("PATH: reason").
  void write_csv(const std::string& path) const;
  // Plots the curve with gnuplot into a PNG at `path`, replaced atomically.
  // Never throws: returns false, having changed nothing, when gnuplot is not
  // on PATH or any step fails.
  bool write_png(const std::string& path) const;

 private:
  std::string csv() const;
  std::vector<Point> points_;
};

}  // namespace rnnc
