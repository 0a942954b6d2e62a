#include "graph_rewriter.h"

#include "rnnc/internal_error.h"

namespace rnnc {

GraphRewriter::GraphRewriter(const Graph& source) : source_(source), map_(source.nodes.size(), -1) {
  result_.cell_name = source.cell_name;
  result_.dimension_names = source.dimension_names;
  result_.dimension_values = source.dimension_values;
  result_.inputs = source.inputs;
  result_.states = source.states;
  result_.params = source.params;
}

Node GraphRewriter::remapped(NodeId old_id) const {
  Node node = source_.node(old_id);
  for (NodeId& operand : node.operands) {
    operand = mapped(operand);
    RNNC_ASSERT(operand >= 0, "operand rewritten after its user");
  }
  return node;
}

NodeId GraphRewriter::emit(NodeId old_id, Node node) {
  NodeId id = emit_new(std::move(node));
  map_[std::size_t(old_id)] = id;
  return id;
}

NodeId GraphRewriter::emit_new(Node node) {
  result_.nodes.push_back(std::move(node));
  return NodeId(result_.nodes.size() - 1);
}

Graph GraphRewriter::finish() {
  for (NodeId old_id : source_.next_states) result_.next_states.push_back(mapped(old_id));
  for (const Output& output : source_.outputs) result_.outputs.push_back({output.name, mapped(output.node)});
  for (const ParamGradient& gradient : source_.param_gradients) {
    result_.param_gradients.push_back({gradient.param, mapped(gradient.node)});
  }
  verify_graph(result_);
  return std::move(result_);
}

}  // namespace rnnc
