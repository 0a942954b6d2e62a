#include "rnnc/ir.h"

#include <fmt/format.h>

#include "rnnc/internal_error.h"

namespace rnnc {

int find_symbol(const std::vector<Symbol>& symbols, const std::string& name) {
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    if (symbols[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::int64_t element_count(const Shape& shape) {
  switch (shape.rank) {
    case 0: return 1;
    case 1: return shape.rows.constant_value();
    default: return shape.rows.constant_value() * shape.cols.constant_value();
  }
}

void verify_graph(const Graph& graph) {
  auto symbol_count = [&](Op op) -> std::size_t {
    switch (op) {
      case Op::Input: return graph.inputs.size();
      case Op::State: return graph.states.size();
      default: return graph.params.size();
    }
  };
  for (std::size_t id = 0; id < graph.nodes.size(); ++id) {
    const Node& node = graph.nodes[id];
    std::string where = fmt::format("node %{} ({})", id, op_mnemonic(node.op));
    RNNC_ASSERT(node.shape.rank <= 1 || node.op == Op::Outer, where + " has a matrix shape");
    int arity = op_arity(node.op);
    RNNC_ASSERT(arity < 0 ? !node.operands.empty() : node.operands.size() == std::size_t(arity),
                where + " has the wrong number of operands");
    for (NodeId operand : node.operands) {
      RNNC_ASSERT(operand >= 0 && std::size_t(operand) < id, where + " uses an operand that does not precede it");
    }
    bool names_param = node.op == Op::Param || op_class(node.op) == OpClass::MatVec || node.op == Op::Outer;
    if (node.op == Op::Input || node.op == Op::State || names_param) {
      RNNC_ASSERT(node.symbol >= 0 && std::size_t(node.symbol) < symbol_count(node.op),
                  where + " names no declared symbol");
    }
  }
  RNNC_ASSERT(graph.next_states.size() == graph.states.size(), "every state needs exactly one next value");
  for (std::size_t i = 0; i < graph.states.size(); ++i) {
    NodeId id = graph.next_states[i];
    RNNC_ASSERT(id >= 0 && std::size_t(id) < graph.nodes.size(), "next state refers to no node");
    RNNC_ASSERT(graph.node(id).shape == graph.states[i].shape, "next state's shape differs from the state's");
  }
  for (const Output& output : graph.outputs) {
    RNNC_ASSERT(output.node >= 0 && std::size_t(output.node) < graph.nodes.size(), "output refers to no node");
  }
  for (const ParamGradient& gradient : graph.param_gradients) {
    RNNC_ASSERT(gradient.param >= 0 && std::size_t(gradient.param) < graph.params.size(), "gradient of no parameter");
    RNNC_ASSERT(gradient.node >= 0 && std::size_t(gradient.node) < graph.nodes.size(), "gradient refers to no node");
    RNNC_ASSERT(graph.node(gradient.node).shape == graph.params[std::size_t(gradient.param)].shape,
                "gradient's shape differs from its parameter's");
  }
}

}  // namespace rnnc
