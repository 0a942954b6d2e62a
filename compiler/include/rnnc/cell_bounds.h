// Bounds on what a bound cell may ask for. Each dimension, each value's
// length and each parameter's element count is at most kMaxExtent (the
// checker and resolve_dimensions see to that); beyond those, at most
// kMaxCellFloats floats each:
//   - all parameters together, and one step's values per sample together
//     (checked at binding, a diagnostic at the cell's header);
//   - the packed weights, and the floats per row of every buffer a kernel
//     reads or writes: workspace, scratch, inputs, outputs, states
//     (checked by the code generator on its plans).
// Within them, every size the runtime and the generated C header compute
// for steps, batch <= kMaxExtent fits in 64 bits: they refuse a steps·batch
// for which (steps + 1)·batch·(widest row)·4 would not.
#pragma once

#include <cstdint>

#include "rnnc/ast.h"
#include "rnnc/diagnostics.h"
#include "rnnc/ir.h"
#include "rnnc/limits.h"

namespace rnnc {

inline constexpr std::int64_t kMaxCellFloats = kMaxExtent;

// Reports what exceeds the bounds at the cell's header; false if anything did.
bool check_cell_bounds(const Graph& graph, const CellAst& ast, DiagnosticEngine& diagnostics);

}  // namespace rnnc
