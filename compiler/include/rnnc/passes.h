// Transformations of the cell IR. Each is a free function from a graph to a
// new graph; simplify() runs the cleanup passes in their usual order.
#pragma once

#include "rnnc/dim_poly.h"
#include "rnnc/ir.h"

namespace rnnc {

// Replaces every dimension by its value; the result has constant shapes.
// The values must come from resolve_dimensions().
Graph bind_dimensions(const Graph& graph, const DimensionValues& values);

// Evaluates operations on constants and removes identities (x + 0, x * 1,
// -(-x), slices of a whole vector, slices of slices and of concatenations).
Graph fold_constants(const Graph& graph);

// Merges nodes that compute the same operation on the same operands.
Graph eliminate_common_subexpressions(const Graph& graph);

// Removes nodes that no next state or output depends on.
Graph remove_dead_code(const Graph& graph);

// fold_constants, then CSE, then dead-code removal, until nothing changes.
Graph simplify(const Graph& graph);

}  // namespace rnnc
