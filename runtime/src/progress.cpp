#include "rnnc/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include <fmt/format.h>

#include "atomic_file.h"
#include "rnnc/cell.h"
#include "rnnc/child_process.h"

namespace rnnc {

namespace {

using namespace std::chrono_literals;

constexpr auto print_interval = 1s;
constexpr int bar_width = 20;

bool is_terminal(const std::ostream& out) {
  if (&out == &std::cout) return isatty(STDOUT_FILENO);
  if (&out == &std::cerr || &out == &std::clog) return isatty(STDERR_FILENO);
  return false;
}

// 38200 -> "38.2k".
std::string with_si_prefix(double value) {
  if (value < 1e3) return fmt::format("{:.0f}", value);
  if (value < 1e6) return fmt::format("{:.1f}k", value / 1e3);
  if (value < 1e9) return fmt::format("{:.1f}M", value / 1e6);
  return fmt::format("{:.1f}G", value / 1e9);
}

// 99 -> "1:39", 3725 -> "1:02:05".
std::string as_clock_time(double seconds) {
  auto whole = std::int64_t(std::lround(seconds));
  if (whole < 3600) return fmt::format("{}:{:02}", whole / 60, whole % 60);
  return fmt::format("{}:{:02}:{:02}", whole / 3600, whole / 60 % 60, whole % 60);
}

std::optional<std::filesystem::path> find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string_view directories = path ? path : "";
  while (!directories.empty()) {
    std::size_t colon = std::min(directories.find(':'), directories.size());
    std::string_view directory = directories.substr(0, colon);  // empty means the current one
    std::filesystem::path candidate = std::filesystem::path(directory.empty() ? "." : directory) / program;
    std::error_code error;
    if (std::filesystem::is_regular_file(candidate, error) && access(candidate.c_str(), X_OK) == 0) return candidate;
    directories.remove_prefix(std::min(colon + 1, directories.size()));
  }
  return std::nullopt;
}

// A gnuplot single-quoted string: a quote inside is doubled.
std::string gnuplot_string(const std::filesystem::path& path) {
  std::string quoted = "'";
  for (char c : path.string()) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return quoted + "'";
}

bool run(const std::filesystem::path& program, const std::filesystem::path& argument) {
  try {
    run_program({program.string(), argument.string()});
    return true;
  } catch (const RuntimeError&) {
    return false;
  }
}

// A private directory for gnuplot's input and output, removed on scope exit.
class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    std::error_code error;
    std::filesystem::path base = std::filesystem::temp_directory_path(error);
    if (error) return;
    std::string pattern = (base / "rnnc-plot-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }  // empty if it could not be made

 private:
  std::filesystem::path path_;
};

}  // namespace

ProgressReporter::ProgressReporter(std::int64_t total_steps, bool quiet, std::ostream& out, std::string unit,
                                   Clock clock)
    : total_steps_(total_steps),
      quiet_(quiet),
      out_(out),
      unit_(std::move(unit)),
      clock_(std::move(clock)),
      terminal_(is_terminal(out)),
      start_(clock_()),
      last_print_(start_) {}

ProgressReporter::~ProgressReporter() {
  if (open_line_width_ > 0) out_ << '\n' << std::flush;
}

void ProgressReporter::update(std::int64_t step, double loss, double items_done) {
  if (quiet_ || printed_last_step_) return;
  const auto now = clock_();
  const bool last_step = step >= total_steps_;
  if (!last_step && now - last_print_ < print_interval) return;
  last_print_ = now;
  printed_last_step_ = last_step;
  std::string text = line(step, loss, items_done, std::chrono::duration<double>(now - start_).count());
  if (!terminal_) {
    out_ << text << '\n' << std::flush;
    return;
  }
  const double fraction = total_steps_ > 0 ? std::clamp(double(step) / double(total_steps_), 0.0, 1.0) : 1.0;
  const int filled = int(fraction * bar_width);
  text = fmt::format("[{}{}] {}", std::string(filled, '#'), std::string(bar_width - filled, '.'), text);
  // Spaces cover what is left of a longer previous line.
  const std::size_t padding = open_line_width_ > text.size() ? open_line_width_ - text.size() : 0;
  out_ << '\r' << text << std::string(padding, ' ');
  open_line_width_ = text.size();
  if (last_step) {
    out_ << '\n';
    open_line_width_ = 0;
  }
  out_ << std::flush;
}

std::string ProgressReporter::line(std::int64_t step, double loss, double items_done, double elapsed) const {
  const double rate = elapsed > 0 ? items_done / elapsed : 0;
  const std::string left =
      step > 0 ? as_clock_time(elapsed * double(std::max<std::int64_t>(total_steps_ - step, 0)) / double(step)) : "?";
  const std::string loss_text = std::isnan(loss) ? "" : fmt::format("  loss {:.4g}", loss);
  return fmt::format("step {}/{}{}  {} {}  elapsed {}  left {}", step, total_steps_, loss_text,
                     with_si_prefix(rate), unit_, as_clock_time(elapsed), left);
}

void LossCurve::add(std::int64_t step, double train_loss, std::optional<double> validation_loss) {
  points_.push_back({step, train_loss, validation_loss});
}

const std::vector<LossCurve::Point>& LossCurve::points() const { return points_; }

std::string LossCurve::csv() const {
  std::string text = "step,train_loss,val_loss\n";
  for (const Point& point : points_)
    text += fmt::format("{},{},{}\n", point.step, point.train_loss,
                        point.validation_loss ? fmt::format("{}", *point.validation_loss) : "");
  return text;
}

void LossCurve::write_csv(const std::string& path) const { write_file_atomically(path, csv()); }

bool LossCurve::write_png(const std::string& path) const {
  std::optional<std::filesystem::path> gnuplot = find_on_path("gnuplot");
  if (!gnuplot) return false;
  TemporaryDirectory directory;
  if (directory.path().empty()) return false;
  const auto data = directory.path() / "loss.csv", script = directory.path() / "plot.gp",
             image = directory.path() / "loss.png";
  const bool has_validation =
      std::any_of(points_.begin(), points_.end(), [](const Point& point) { return point.validation_loss.has_value(); });
  std::ofstream(data) << csv();
  std::ofstream(script) << "set terminal png size 900,500\n"
                        << "set output " << gnuplot_string(image) << "\n"
                        << "set datafile separator ','\n"
                        << "set xlabel 'step'\nset ylabel 'loss'\n"
                        << "plot " << gnuplot_string(data) << " skip 1 using 1:2 with lines title 'train'"
                        << (has_validation ? ", '' skip 1 using 1:3 with linespoints title 'validation'" : "") << "\n";
  if (!run(*gnuplot, script)) return false;
  std::ifstream png(image, std::ios::binary);
  if (!png) return false;
  try {
    write_file_atomically(path, std::string(std::istreambuf_iterator<char>(png), {}));
  } catch (const RuntimeError&) {
    return false;
  }
  return true;
}

}  // namespace rnnc
