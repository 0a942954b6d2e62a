#include "rnnc/kernel_plan.h"

#include "rnnc/internal_error.h"

namespace rnnc {

ForwardPlan plan_forward(const Graph& graph) {
  RNNC_ASSERT(graph.is_bound(), "planning a kernel for a graph with unbound dimensions");
  ForwardPlan plan;
  plan.values.resize(graph.nodes.size());
  std::vector<bool> state_dependent(graph.nodes.size(), false);
  for (std::size_t id = 0; id < graph.nodes.size(); ++id) {
    const Node& node = graph.nodes[id];
    bool depends = node.op == Op::State;
    for (NodeId operand : node.operands) depends = depends || state_dependent[std::size_t(operand)];
    state_dependent[id] = depends;
    ValuePlacement& placement = plan.values[id];
    if (op_class(node.op) == OpClass::Leaf) {
      placement.phase = Phase::Leaf;
    } else if (node.op == Op::Slice) {
      placement.phase = Phase::View;
    } else if (depends) {
      placement.phase = Phase::Recurrent;
      placement.offset = plan.recurrent_floats_per_row;
      plan.recurrent_floats_per_row += element_count(node.shape);
    } else {
      placement.phase = Phase::Hoisted;
      placement.offset = plan.hoisted_floats_per_row;
      plan.hoisted_floats_per_row += element_count(node.shape);
    }
  }
  for (const Symbol& state : graph.states) plan.state_floats_per_row += element_count(state.shape);
  return plan;
}

}  // namespace rnnc
