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

using Region = ArgumentBinding::Region;

// One of the caller's buffers: `length` floats per row or sample.
ArgumentBinding caller_buffer(Region region, std::size_t index, const Shape& shape) {
  return {region, int(index), 0, element_count(shape), 0};
}

ArgumentBinding saved_value(const BackwardStep& backward, const WorkspaceLayout& workspace, NodeId id) {
  auto position = std::find(backward.plan.saved.begin(), backward.plan.saved.end(), id) - backward.plan.saved.begin();
  return {Region::Saved, id, workspace.saved_offsets[std::size_t(position)], workspace.saved_floats, 0};
}

ArgumentBinding state_rows(const WorkspaceLayout& workspace, int state, std::int64_t step) {
  return {Region::States, state, workspace.state_offsets[std::size_t(state)], workspace.state_floats, step};
}

}  // namespace

KernelArguments inference_arguments(const Graph& forward) {
  KernelArguments arguments;
  for (std::size_t i = 0; i < forward.inputs.size(); ++i) {
    arguments.sources.push_back(caller_buffer(Region::Input, i, forward.inputs[i].shape));
  }
  for (std::size_t s = 0; s < forward.states.size(); ++s) {
    arguments.initial_states.push_back(caller_buffer(Region::InitialState, s, forward.states[s].shape));
    arguments.final_states.push_back(caller_buffer(Region::FinalState, s, forward.states[s].shape));
  }
  for (std::size_t o = 0; o < forward.outputs.size(); ++o) {
    arguments.sinks.push_back(caller_buffer(Region::Output, o, forward.node(forward.outputs[o].node).shape));
  }
  return arguments;
}

KernelArguments training_arguments(const Graph& forward, const BackwardStep& backward,
                                   const WorkspaceLayout& workspace) {
  KernelArguments arguments = inference_arguments(forward);
  for (NodeId id : backward.plan.saved) arguments.sinks.push_back(saved_value(backward, workspace, id));
  for (std::size_t s = 0; s < forward.states.size(); ++s) arguments.sinks.push_back(state_rows(workspace, int(s), 1));
  return arguments;
}

KernelArguments backward_arguments(const Graph& forward, const BackwardStep& backward,
                                   const WorkspaceLayout& workspace) {
  KernelArguments arguments;
  for (const BackwardInputSource& source : backward.input_sources) {
    std::size_t index = std::size_t(source.index);
    switch (source.kind) {
      case BackwardInputSource::Kind::Saved:
        arguments.sources.push_back(saved_value(backward, workspace, source.index));
        break;
      case BackwardInputSource::Kind::ForwardInput:
        arguments.sources.push_back(caller_buffer(Region::Input, index, forward.inputs[index].shape));
        break;
      case BackwardInputSource::Kind::PreviousState:
        arguments.sources.push_back(state_rows(workspace, source.index, 0));
        break;
      case BackwardInputSource::Kind::NextState:
        arguments.sources.push_back(state_rows(workspace, source.index, 1));
        break;
      case BackwardInputSource::Kind::OutputAdjoint:
        arguments.sources.push_back(
            caller_buffer(Region::OutputAdjoint, index, forward.node(forward.outputs[index].node).shape));
        break;
    }
  }
  for (std::size_t s = 0; s < forward.states.size(); ++s) {
    arguments.initial_states.push_back(caller_buffer(Region::FinalStateAdjoint, s, forward.states[s].shape));
    arguments.final_states.push_back(caller_buffer(Region::InitialStateAdjoint, s, forward.states[s].shape));
  }
  for (std::size_t i = 0; i < forward.inputs.size(); ++i) {
    arguments.sinks.push_back(caller_buffer(Region::InputAdjoint, i, forward.inputs[i].shape));
  }
  return arguments;
}

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
  layout.inference_arguments = inference_arguments(forward);
  layout.training_arguments = training_arguments(forward, layout.backward, layout.workspace);
  layout.backward_arguments = backward_arguments(forward, layout.backward, layout.workspace);
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
