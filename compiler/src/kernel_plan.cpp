#include "rnnc/kernel_plan.h"

#include <algorithm>

#include "rnnc/internal_error.h"

namespace rnnc {

namespace {

// Follows slices to the value that owns the storage.
NodeId storage_owner(const Graph& graph, NodeId id) {
  while (graph.node(id).op == Op::Slice) id = graph.node(id).operands[0];
  return id;
}

}  // namespace

SequencePlan plan_sequence(const Graph& graph, std::vector<NodeId> sinks) {
  RNNC_ASSERT(graph.is_bound(), "planning a kernel for a graph with unbound dimensions");
  const std::size_t count = graph.nodes.size();
  SequencePlan plan;
  plan.values.resize(count);
  plan.sinks = std::move(sinks);

  std::vector<bool> state_dependent(count, false), feeds_recurrence(count, false), is_gradient(count, false);
  for (std::size_t id = 0; id < count; ++id) {
    const Node& node = graph.nodes[id];
    bool depends = node.op == Op::State;
    for (NodeId operand : node.operands) depends = depends || state_dependent[std::size_t(operand)];
    state_dependent[id] = depends;
  }
  for (NodeId id : graph.next_states) feeds_recurrence[std::size_t(id)] = true;
  for (std::size_t id = count; id-- > 0;) {
    if (!feeds_recurrence[id]) continue;
    for (NodeId operand : graph.nodes[id].operands) feeds_recurrence[std::size_t(operand)] = true;
  }
  for (const ParamGradient& gradient : graph.param_gradients) {
    if (graph.node(gradient.node).op == Op::Outer) is_gradient[std::size_t(gradient.node)] = true;
  }

  for (std::size_t id = 0; id < count; ++id) {
    const Node& node = graph.nodes[id];
    Phase& phase = plan.values[id].phase;
    if (op_class(node.op) == OpClass::Leaf) {
      phase = Phase::Leaf;
    } else if (node.op == Op::Slice) {
      phase = Phase::View;
    } else if (is_gradient[id]) {
      phase = Phase::Gradient;
    } else if (!state_dependent[id]) {
      phase = Phase::Hoisted;
    } else {
      phase = feeds_recurrence[id] ? Phase::Recurrent : Phase::Deferred;
    }
  }

  // Whatever is read after the time loop must be kept for all rows: the
  // operands of Deferred and Gradient values, vector gradients, and sinks.
  auto keep = [&](NodeId id) {
    NodeId owner = storage_owner(graph, id);
    const Node& node = graph.node(owner);
    if (node.op == Op::State || plan.values[std::size_t(owner)].phase == Phase::Recurrent) {
      plan.values[std::size_t(owner)].all_rows = true;
    }
  };
  for (std::size_t id = 0; id < count; ++id) {
    Phase phase = plan.values[id].phase;
    if (phase != Phase::Deferred && phase != Phase::Gradient) continue;
    for (NodeId operand : graph.nodes[id].operands) keep(operand);
  }
  for (const ParamGradient& gradient : graph.param_gradients) {
    if (!is_gradient[std::size_t(gradient.node)]) keep(gradient.node);
  }
  for (NodeId sink : plan.sinks) {
    // A sink computed in the time loop is written there; a state read as a
    // sink is copied out there too, before the next state replaces it.
    if (graph.node(storage_owner(graph, sink)).op == Op::State) keep(sink);
  }

  for (std::size_t id = 0; id < count; ++id) {
    ValuePlacement& placement = plan.values[id];
    std::int64_t length = element_count(graph.nodes[id].shape);
    switch (placement.phase) {
      case Phase::Hoisted:
      case Phase::Deferred: placement.all_rows = true; break;
      case Phase::Leaf: break;  // a kept state gets a slot below
      case Phase::Recurrent: break;
      case Phase::View:
      case Phase::Gradient: continue;
    }
    if (placement.all_rows) {
      placement.offset = plan.all_rows_floats;
      plan.all_rows_floats += length;
    } else if (placement.phase == Phase::Recurrent) {
      placement.offset = plan.step_floats;
      plan.step_floats += length;
    }
  }
  for (const Symbol& state : graph.states) plan.state_floats += element_count(state.shape);
  return plan;
}

}  // namespace rnnc
