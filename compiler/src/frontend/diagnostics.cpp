#include "rnnc/diagnostics.h"

#include <algorithm>
#include <ostream>

#include <fmt/format.h>

namespace rnnc {

void DiagnosticEngine::error(Span span, std::string message) {
  diagnostics_.push_back({Severity::Error, span, std::move(message)});
  ++error_count_;
}

void DiagnosticEngine::warning(Span span, std::string message) {
  diagnostics_.push_back({Severity::Warning, span, std::move(message)});
}

void DiagnosticEngine::note(Span span, std::string message) {
  diagnostics_.push_back({Severity::Note, span, std::move(message)});
}

void DiagnosticEngine::print(std::ostream& out) const {
  // In source order, each error or warning followed by its notes: the lexer,
  // parser and checker report in separate sweeps over the file.
  std::vector<std::vector<const Diagnostic*>> groups;
  for (const Diagnostic& diagnostic : diagnostics_) {
    if (diagnostic.severity != Severity::Note || groups.empty()) groups.emplace_back();
    groups.back().push_back(&diagnostic);
  }
  std::stable_sort(groups.begin(), groups.end(),
                   [](const auto& a, const auto& b) { return a.front()->span.begin < b.front()->span.begin; });
  for (const auto& group : groups) {
    for (const Diagnostic* diagnostic : group) out << format_diagnostic(file_, *diagnostic);
  }
  if (error_count_ > 0) {
    out << fmt::format("{} error{} generated.\n", error_count_, error_count_ == 1 ? "" : "s");
  }
}

namespace {

const char* severity_name(Severity severity) {
  switch (severity) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

// Replaces bytes that would garble a terminal (control characters, invalid
// UTF-8 from binary input) so that the caret line stays aligned.
std::string printable(std::string_view line) {
  std::string result;
  result.reserve(line.size());
  for (unsigned char c : line) result += (c == '\t' || (c >= 0x20 && c < 0x7f)) ? char(c) : '?';
  return result;
}

}  // namespace

std::string format_diagnostic(const SourceFile& file, const Diagnostic& diagnostic) {
  const std::string& text = file.text;
  std::size_t begin = std::min(diagnostic.span.begin, text.size());
  std::size_t line_start = 0;
  if (begin > 0) {
    std::size_t newline = text.rfind('\n', begin - 1);
    line_start = newline == std::string::npos ? 0 : newline + 1;
  }
  std::size_t line_end = text.find('\n', line_start);
  if (line_end == std::string::npos) line_end = text.size();
  std::size_t line_number = 1 + std::count(text.begin(), text.begin() + line_start, '\n');
  std::size_t column = begin - line_start + 1;

  std::string line = printable(std::string_view(text).substr(line_start, line_end - line_start));
  std::size_t end = std::clamp(diagnostic.span.end, begin, line_end);
  std::string caret;
  for (std::size_t i = line_start; i < begin; ++i) caret += text[i] == '\t' ? '\t' : ' ';
  caret += '^';
  if (end > begin + 1) caret += std::string(end - begin - 1, '~');

  return fmt::format("{}:{}:{}: {}: {}\n{}\n{}\n", file.name, line_number, column,
                     severity_name(diagnostic.severity), diagnostic.message, line, caret);
}

namespace {

// Optimal string alignment distance: insertions, deletions, substitutions
// and swaps of two adjacent characters ('tahn' for 'tanh') cost one each.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// Longer names are not typed by hand; comparing them would be quadratic.
constexpr std::size_t kMaxSuggestedLength = 64;

}  // namespace

std::string closest_name(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  if (name.size() > kMaxSuggestedLength) return best;
  std::size_t best_distance = std::max<std::size_t>(1, name.size() / 3) + 1;
  for (const std::string& candidate : candidates) {
    if (candidate.size() > kMaxSuggestedLength) continue;
    std::size_t distance = edit_distance(name, candidate);
    // Replacing every character gives another name, not a typo ('K' for 'I').
    if (distance >= std::max(name.size(), candidate.size())) continue;
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

}  // namespace rnnc
