#include "codegen/kernel_module.h"

#include <llvm/Support/raw_ostream.h>

#include "codegen/sequence_codegen.h"
#include "codegen/target.h"

namespace rnnc {

KernelSymbols::KernelSymbols(const std::string& prefix)
    : inference(prefix + "_forward_inference"),
      training(prefix + "_forward_training"),
      backward(prefix + "_backward"),
      pack(prefix + "_pack_weights") {}

namespace {

std::string print_module(const llvm::Module& module) {
  std::string text;
  llvm::raw_string_ostream stream(text);
  module.print(stream, nullptr);
  return text;
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

std::vector<NodeId> output_nodes(const Graph& graph) {
  std::vector<NodeId> nodes;
  for (const Output& output : graph.outputs) nodes.push_back(output.node);
  return nodes;
}

}  // namespace

llvm::Expected<KernelModule> build_kernel_module(const Graph& forward, llvm::TargetMachine& machine,
                                                 const KernelSymbols& symbols, IrTexts texts) {
  KernelModule result;
  KernelLayout& layout = result.layout;
  layout.forward = forward;
  layout.backward = differentiate(forward);
  layout.workspace = workspace_layout(forward, layout.backward);

  std::vector<NodeId> training_sinks = output_nodes(forward);
  training_sinks.insert(training_sinks.end(), layout.backward.plan.saved.begin(), layout.backward.plan.saved.end());
  training_sinks.insert(training_sinks.end(), forward.next_states.begin(), forward.next_states.end());
  layout.inference = plan_sequence(forward, output_nodes(forward));
  layout.training = plan_sequence(forward, training_sinks);
  layout.backward_kernel = plan_sequence(layout.backward.graph, output_nodes(layout.backward.graph));

  result.context = std::make_unique<llvm::LLVMContext>();
  result.module = std::make_unique<llvm::Module>("rnnc_" + forward.cell_name, *result.context);
  llvm::Module& module = *result.module;
  GemmSchedule schedule = choose_gemm_schedule(machine);
  PackedWeights packing = plan_packed_weights({&forward, &layout.backward.graph}, schedule);
  layout.packed_weight_floats = packing.floats;
  layout.vector_width = schedule.vector_width;
  layout.panel_width = schedule.panel_width();
  layout.required_features = required_cpu_features(machine);
  emit_pack_kernel(forward.params, packing, schedule, symbols.pack, module);
  emit_sequence_kernel(forward, layout.inference, TimeDirection::Forward, packing, schedule, symbols.inference, module);
  emit_sequence_kernel(forward, layout.training, TimeDirection::Forward, packing, schedule, symbols.training, module);
  emit_sequence_kernel(layout.backward.graph, layout.backward_kernel, TimeDirection::Backward, packing, schedule,
                       symbols.backward, module);
  // After emission, which sets the plans' gradient_floats.
  if (std::string error = layout_bounds_error(layout); !error.empty()) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), error);
  }
  prepare_module(module, machine);
  verify_module(module, "after code generation");
  if (texts.before_optimization) result.ir_before = print_module(module);
  optimize_module(module, machine);
  verify_module(module, "after optimization");
  if (texts.after_optimization) result.ir_after = print_module(module);
  return result;
}

}  // namespace rnnc
