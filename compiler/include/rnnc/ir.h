// The cell IR: one time step of one sample as an SSA graph of operations on
// scalars and vectors. Nodes are stored in topological order and refer to
// their operands by index. Shapes are symbolic until bind_dimensions().
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rnnc/dim_poly.h"
#include "rnnc/ops.h"
#include "rnnc/shape.h"

namespace rnnc {

using NodeId = std::int32_t;

struct Node {
  Op op;
  Shape shape;                   // rank 0 (scalar) or 1 (vector); rank 2 only for Outer
  std::vector<NodeId> operands;  // all smaller than this node's id
  double constant = 0;           // Constant: the value
  int symbol = -1;               // Input, State: index into inputs/states; Param, MatVec(T), Outer: into params
  DimPoly slice_begin;           // Slice: first element taken; Pad: where the operand goes
  std::string name;              // the source name it was assigned to, if any (for printing)
};

inline Node make_node(Op op, Shape shape, std::vector<NodeId> operands) {
  Node node;
  node.op = op;
  node.shape = std::move(shape);
  node.operands = std::move(operands);
  return node;
}

// A declared input, state or parameter.
struct Symbol {
  std::string name;
  Shape shape;
};

struct Output {
  std::string name;
  NodeId node;
};

// A contribution of one step of one sample to a parameter's gradient, summed
// over time and batch: an Outer node for a matrix, else the parameter's shape.
struct ParamGradient {
  int param;
  NodeId node;
};

struct Graph {
  std::string cell_name;
  std::vector<std::string> dimension_names;
  std::map<std::string, std::int64_t> dimension_values;  // empty until bound
  std::vector<Symbol> inputs, states, params;
  std::vector<Node> nodes;
  std::vector<NodeId> next_states;  // parallel to states
  std::vector<Output> outputs;
  std::vector<ParamGradient> param_gradients;  // backward steps only

  const Node& node(NodeId id) const { return nodes[static_cast<std::size_t>(id)]; }
  bool is_bound() const { return dimension_values.size() == dimension_names.size(); }
};

// Index of the named symbol in `symbols`, or -1.
int find_symbol(const std::vector<Symbol>& symbols, const std::string& name);

// Number of elements of a bound shape (1 for a scalar).
std::int64_t element_count(const Shape& shape);

// Checks the graph's structural invariants (operand order and counts,
// symbol indices, shapes of results); aborts with an internal error message
// when one is broken. Passes call it on what they produce.
void verify_graph(const Graph& graph);

}  // namespace rnnc
