#include "rnnc/ir_printer.h"

#include <fmt/format.h>

namespace rnnc {

namespace {

std::string symbol_list(const std::vector<Symbol>& symbols) {
  std::vector<std::string> parts;
  for (const Symbol& symbol : symbols) {
    std::string shape = symbol.shape.rank == 0 ? "" : symbol.shape.to_string();
    parts.push_back(symbol.name + shape);
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::string operands_text(const Graph& graph, const Node& node) {
  std::vector<std::string> parts;
  switch (node.op) {
    case Op::Constant: return fmt::format("{}", node.constant);
    case Op::Input: return graph.inputs[std::size_t(node.symbol)].name;
    case Op::State: return graph.states[std::size_t(node.symbol)].name;
    case Op::Param:
    case Op::MatVec:
    case Op::MatVecT:
    case Op::Outer: parts.push_back(graph.params[std::size_t(node.symbol)].name); break;
    default: break;
  }
  for (NodeId operand : node.operands) parts.push_back(fmt::format("%{}", operand));
  if (node.op == Op::Pad) parts.back() += fmt::format(" at {}", node.slice_begin.to_string());
  if (node.op == Op::Slice) {
    parts.back() += fmt::format("[{}:{}]", node.slice_begin.to_string(), (node.slice_begin + node.shape.rows).to_string());
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

std::string print_graph(const Graph& graph) {
  std::string out;
  std::vector<std::string> dimensions;
  for (const std::string& name : graph.dimension_names) {
    auto value = graph.dimension_values.find(name);
    dimensions.push_back(value == graph.dimension_values.end() ? name : fmt::format("{}={}", name, value->second));
  }
  out += fmt::format("cell {}<{}>\n", graph.cell_name, fmt::join(dimensions, ", "));
  if (!graph.inputs.empty()) out += fmt::format("  input {}\n", symbol_list(graph.inputs));
  if (!graph.states.empty()) out += fmt::format("  state {}\n", symbol_list(graph.states));
  if (!graph.params.empty()) out += fmt::format("  param {}\n", symbol_list(graph.params));
  out += "\n";
  for (std::size_t id = 0; id < graph.nodes.size(); ++id) {
    const Node& node = graph.nodes[id];
    std::string line = fmt::format("  %{} = {} {}", id, op_mnemonic(node.op), operands_text(graph, node));
    std::string shape = node.shape.to_string();
    std::string comment = node.name.empty() ? "" : fmt::format("  # {}", node.name);
    out += fmt::format("{:<44} : {}{}\n", line, shape, comment);
  }
  out += "\n";
  for (std::size_t i = 0; i < graph.states.size(); ++i) {
    out += fmt::format("  {}' = %{}\n", graph.states[i].name, graph.next_states[i]);
  }
  for (const Output& output : graph.outputs) out += fmt::format("  output {} = %{}\n", output.name, output.node);
  for (const ParamGradient& gradient : graph.param_gradients) {
    out += fmt::format("  grad {} += %{}\n", graph.params[std::size_t(gradient.param)].name, gradient.node);
  }
  return out;
}

}  // namespace rnnc
