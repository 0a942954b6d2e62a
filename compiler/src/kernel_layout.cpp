#include "rnnc/kernel_layout.h"

#include <algorithm>

#include <fmt/format.h>

#include "rnnc/cell_bounds.h"
#include "rnnc/checker.h"

namespace rnnc {

namespace {

std::vector<NodeId> output_nodes(const Graph& graph) {
  std::vector<NodeId> nodes;
  for (const Output& output : graph.outputs) nodes.push_back(output.node);
  return nodes;
}

}  // namespace

WorkspaceLayout workspace_layout(const Graph& forward, const BackwardStep& backward) {
  WorkspaceLayout layout;
  for (NodeId id : backward.plan.saved) {
    layout.saved_offsets.push_back(layout.saved_floats);
    layout.saved_floats += element_count(forward.node(id).shape);
  }
  for (const Symbol& state : forward.states) {
    layout.state_offsets.push_back(layout.state_floats);
    layout.state_floats += element_count(state.shape);
  }
  return layout;
}

KernelLayout plan_kernels(const Graph& forward, const GemmSchedule& schedule,
                          std::vector<CpuFeature> required_features) {
  KernelLayout layout;
  layout.forward = forward;
  layout.backward = differentiate(forward);
  layout.workspace = workspace_layout(forward, layout.backward);
  layout.schedule = schedule;
  layout.packing = plan_packed_weights({&forward, &layout.backward.graph}, schedule);
  layout.required_features = std::move(required_features);
  std::vector<NodeId> training_sinks = output_nodes(forward);
  training_sinks.insert(training_sinks.end(), layout.backward.plan.saved.begin(), layout.backward.plan.saved.end());
  training_sinks.insert(training_sinks.end(), forward.next_states.begin(), forward.next_states.end());
  layout.inference = plan_sequence(forward, output_nodes(forward), TimeDirection::Forward, schedule, layout.packing);
  layout.training = plan_sequence(forward, training_sinks, TimeDirection::Forward, schedule, layout.packing);
  layout.backward_kernel = plan_sequence(layout.backward.graph, output_nodes(layout.backward.graph),
                                         TimeDirection::Backward, schedule, layout.packing);
  return layout;
}

std::int64_t widest_row_floats(const KernelLayout& layout) {
  std::int64_t widest = layout.workspace.saved_floats + layout.workspace.state_floats + 1;
  for (const SequencePlan* plan : {&layout.inference, &layout.training, &layout.backward_kernel}) {
    widest = std::max(widest, plan->scratch_floats_per_row() + plan->scratch_floats_per_sample());
  }
  const Graph& forward = layout.forward;
  for (const Symbol& symbol : forward.inputs) widest = std::max(widest, element_count(symbol.shape));
  for (const Symbol& symbol : forward.states) widest = std::max(widest, element_count(symbol.shape));
  for (const Output& output : forward.outputs) widest = std::max(widest, element_count(forward.node(output.node).shape));
  return widest;
}

std::string layout_bounds_error(const KernelLayout& layout) {
  const std::string cell = fmt::format("cell '{}' with {}", layout.forward.cell_name,
                                       describe_binding(layout.forward.dimension_values));
  if (layout.packing.floats > kMaxCellFloats) {
    return fmt::format("{}: its packed weights need {} floats, more than the limit {}", cell,
                       layout.packing.floats, kMaxCellFloats);
  }
  if (std::int64_t widest = widest_row_floats(layout); widest > kMaxCellFloats) {
    return fmt::format("{}: its kernels need {} floats per step and sample, more than the limit {}", cell, widest,
                       kMaxCellFloats);
  }
  return {};
}

}  // namespace rnnc
