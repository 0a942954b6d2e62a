// User-facing diagnostics for .cell files: `file:line:col: error: message`,
// the source line and a caret under the span, in the style of LLVM's SourceMgr.
// Spans are byte offsets; line and column are computed only when printing.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

namespace rnnc {

// A half-open byte range [begin, end) in one source file.
struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
};

struct SourceFile {
  std::string name;  // as given by the user; printed in diagnostics
  std::string text;
};

enum class Severity { Error, Warning, Note };

struct Diagnostic {
  Severity severity;
  Span span;
  std::string message;
};

// Collects every diagnostic of one file; passes report into it and keep going,
// so that a user sees all errors at once.
class DiagnosticEngine {
 public:
  explicit DiagnosticEngine(const SourceFile& file) : file_(file) {}

  void error(Span span, std::string message);
  void warning(Span span, std::string message);
  // A note attaches to the diagnostic reported just before it.
  void note(Span span, std::string message);

  bool has_errors() const { return error_count_ > 0; }
  std::size_t error_count() const { return error_count_; }
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  const SourceFile& file() const { return file_; }

  // Prints every diagnostic, then a summary line when there were errors.
  void print(std::ostream& out) const;

 private:
  const SourceFile& file_;
  std::vector<Diagnostic> diagnostics_;
  std::size_t error_count_ = 0;
};

// Formats one diagnostic with its location, source line and caret.
std::string format_diagnostic(const SourceFile& file, const Diagnostic& diagnostic);

// Returns the candidate closest to `name` by edit distance when it is close
// enough to be a plausible typo, else an empty string.
std::string closest_name(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace rnnc
