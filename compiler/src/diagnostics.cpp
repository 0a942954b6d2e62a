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

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string closest_name(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(1, name.size() / 3) + 1;
  for (const std::string& candidate : candidates) {
    std::size_t distance = edit_distance(name, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

}  // namespace rnnc
