#include "rnnc/frontend.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "rnnc/cell_bounds.h"
#include "rnnc/lower.h"
#include "rnnc/parser.h"
#include "rnnc/passes.h"

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

std::optional<BuiltCell> build_cell(const SourceFile& file, const DimensionArgs& dimensions,
                                    DiagnosticEngine& diagnostics) {
  std::optional<CheckedCell> cell = parse_and_check(file, diagnostics);
  if (!cell) return std::nullopt;
  std::optional<DimensionValues> values = resolve_dimensions(*cell, dimensions, diagnostics);
  if (!values) return std::nullopt;
  Graph graph = simplify(bind_dimensions(lower_cell(*cell), *values));
  if (!check_cell_bounds(graph, cell->ast, diagnostics)) return std::nullopt;
  return BuiltCell{std::move(*cell), std::move(graph)};
}

std::optional<Graph> build_ir(const SourceFile& file, const DimensionArgs& dimensions, DiagnosticEngine& diagnostics) {
  std::optional<BuiltCell> cell = build_cell(file, dimensions, diagnostics);
  if (!cell) return std::nullopt;
  return std::move(cell->graph);
}

std::optional<SourceFile> read_source_file(const std::string& path, std::string& error) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    error = fmt::format("cannot open '{}': {}", path, std::strerror(errno));
    return std::nullopt;
  }
  std::ostringstream text;
  text << stream.rdbuf();
  if (stream.bad()) {
    error = fmt::format("cannot read '{}'", path);
    return std::nullopt;
  }
  return SourceFile{path, text.str()};
}

}  // namespace rnnc
