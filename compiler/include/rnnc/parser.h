// Recursive-descent parser for .cell files. Reports every syntax error it can
// recover from (it resynchronizes at the next line) and never recurses deeper
// than a fixed bound, so any input terminates without exhausting the stack.
#pragma once

#include <optional>

#include "rnnc/ast.h"
#include "rnnc/diagnostics.h"
#include "rnnc/limits.h"

namespace rnnc {

// Parses a file holding exactly one cell. Returns nullopt when the file has
// no parsable cell header; otherwise the cell with whatever parsed cleanly
// (check diagnostics.has_errors()).
std::optional<CellAst> parse_cell(const SourceFile& file, DiagnosticEngine& diagnostics);

}  // namespace rnnc
