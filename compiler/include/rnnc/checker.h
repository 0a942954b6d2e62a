// Semantic checks of a parsed cell: names, dimensions, shapes, single
// assignment, state updates. Annotates every expression with its shape.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rnnc/ast.h"
#include "rnnc/diagnostics.h"
#include "rnnc/limits.h"

namespace rnnc {

// A condition on the dimensions that the checker could not decide
// symbolically (e.g. a slice `v[0:I]` of a vector of length H): `value` must
// be >= 0 once the dimensions are bound, or `message` is reported at `span`.
struct DimensionConstraint {
  DimPoly value;
  Span span;
  std::string message;
};

struct CheckedCell {
  CellAst ast;  // every expression has its shape set
  std::vector<DimensionConstraint> constraints;
};

// Returns the checked cell, or nullopt when there were errors (all of them
// reported). Warnings (unused parameters, inputs and values) do not fail.
std::optional<CheckedCell> check_cell(CellAst ast, DiagnosticEngine& diagnostics);

// "H = 64, I = 32", for messages about a binding.
std::string describe_binding(const DimensionValues& values);

// Binds the cell's dimensions to the given values: every declared dimension
// needs exactly one positive value, no undeclared name may be given, every
// extent must stay within kMaxExtent and every deferred constraint must hold.
// Reports errors at the cell header or at the constraint's span.
std::optional<DimensionValues> resolve_dimensions(const CheckedCell& cell,
                                                  const std::vector<std::pair<std::string, std::int64_t>>& given,
                                                  DiagnosticEngine& diagnostics);

}  // namespace rnnc
