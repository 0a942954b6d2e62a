#include "rnnc/frontend.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "rnnc/parser.h"

namespace rnnc {

std::optional<CheckedCell> parse_and_check(const SourceFile& file, DiagnosticEngine& diagnostics) {
  std::optional<CellAst> ast = parse_cell(file, diagnostics);
  if (!ast) return std::nullopt;
  // Check even a cell with syntax errors, so that the user sees the semantic
  // errors of the parts that did parse, but do not return it.
  bool syntax_ok = !diagnostics.has_errors();
  std::optional<CheckedCell> checked = check_cell(std::move(*ast), diagnostics);
  if (!syntax_ok) return std::nullopt;
  return checked;
}

Expected<SourceFile, ReadError> read_source_file(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) return ReadError{fmt::format("cannot open '{}': {}", path, std::strerror(errno))};
  std::ostringstream text;
  text << stream.rdbuf();
  if (stream.bad()) return ReadError{fmt::format("cannot read '{}'", path)};
  return SourceFile{path, text.str()};
}

}  // namespace rnnc
