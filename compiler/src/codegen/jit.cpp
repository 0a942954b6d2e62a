#include "rnnc/jit.h"

#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/sequence_codegen.h"
#include "codegen/target.h"

namespace rnnc {

struct CompiledCell::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  Graph forward;
  BackwardStep backward;
  WorkspaceLayout workspace;
  Kernel inference, training, backward_kernel;
  PackKernel pack = nullptr;
  std::int64_t packed_weight_floats = 0;
  std::string ir_before, ir_after;
};

CompiledCell::CompiledCell(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledCell::~CompiledCell() = default;

const Graph& CompiledCell::forward_graph() const { return impl_->forward; }
const BackwardStep& CompiledCell::backward_step() const { return impl_->backward; }
const WorkspaceLayout& CompiledCell::workspace() const { return impl_->workspace; }
const Kernel& CompiledCell::forward_inference() const { return impl_->inference; }
const Kernel& CompiledCell::forward_training() const { return impl_->training; }
const Kernel& CompiledCell::backward() const { return impl_->backward_kernel; }
PackKernel CompiledCell::pack_weights() const { return impl_->pack; }
std::int64_t CompiledCell::packed_weight_floats() const { return impl_->packed_weight_floats; }
const std::string& CompiledCell::llvm_ir(bool optimized) const { return optimized ? impl_->ir_after : impl_->ir_before; }

namespace {

constexpr const char* kInferenceSymbol = "rnnc_forward_inference";
constexpr const char* kTrainingSymbol = "rnnc_forward_training";
constexpr const char* kBackwardSymbol = "rnnc_backward";
constexpr const char* kPackSymbol = "rnnc_pack_weights";

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

std::unique_ptr<CompiledCell> CompiledCell::compile(const Graph& forward, const TargetOptions& target,
                                                    std::string& error) {
  auto fail = [&](llvm::Error llvm_error) -> std::unique_ptr<CompiledCell> {
    error = llvm::toString(std::move(llvm_error));
    return nullptr;
  };
  auto builder = make_target_builder(target);
  if (!builder) return fail(builder.takeError());
  auto machine = builder->createTargetMachine();
  if (!machine) return fail(machine.takeError());

  auto impl = std::make_unique<Impl>();
  impl->forward = forward;
  impl->backward = differentiate(forward);
  impl->workspace = workspace_layout(forward, impl->backward);

  std::vector<NodeId> training_sinks = output_nodes(forward);
  training_sinks.insert(training_sinks.end(), impl->backward.plan.saved.begin(), impl->backward.plan.saved.end());
  training_sinks.insert(training_sinks.end(), forward.next_states.begin(), forward.next_states.end());
  impl->inference.plan = plan_sequence(forward, output_nodes(forward));
  impl->training.plan = plan_sequence(forward, training_sinks);
  impl->backward_kernel.plan = plan_sequence(impl->backward.graph, output_nodes(impl->backward.graph));

  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = std::make_unique<llvm::Module>("rnnc_" + forward.cell_name, *context);
  GemmSchedule schedule = choose_gemm_schedule(**machine);
  PackedWeights packing = plan_packed_weights({&forward, &impl->backward.graph}, schedule);
  impl->packed_weight_floats = packing.floats;
  emit_pack_kernel(forward.params, packing, schedule, kPackSymbol, *module);
  emit_sequence_kernel(forward, impl->inference.plan, TimeDirection::Forward, packing, schedule, kInferenceSymbol,
                       *module);
  emit_sequence_kernel(forward, impl->training.plan, TimeDirection::Forward, packing, schedule, kTrainingSymbol,
                       *module);
  emit_sequence_kernel(impl->backward.graph, impl->backward_kernel.plan, TimeDirection::Backward, packing, schedule,
                       kBackwardSymbol, *module);
  prepare_module(*module, **machine);
  verify_module(*module, "after code generation");
  impl->ir_before = print_module(*module);
  optimize_module(*module, **machine);
  verify_module(*module, "after optimization");
  impl->ir_after = print_module(*module);

  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*builder)).create();
  if (!jit) return fail(jit.takeError());
  // LLVM may turn copy loops into memcpy or memset: resolve those in this
  // process.
  auto generator = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!generator) return fail(generator.takeError());
  (*jit)->getMainJITDylib().addGenerator(std::move(*generator));
  if (llvm::Error add = (*jit)->addIRModule(llvm::orc::ThreadSafeModule(std::move(module), std::move(context)))) {
    return fail(std::move(add));
  }
  for (auto [kernel, symbol] : {std::pair{&impl->inference, kInferenceSymbol}, std::pair{&impl->training, kTrainingSymbol},
                                std::pair{&impl->backward_kernel, kBackwardSymbol}}) {
    auto address = (*jit)->lookup(symbol);
    if (!address) return fail(address.takeError());
    kernel->function = address->toPtr<SequenceKernel>();
  }
  auto pack = (*jit)->lookup(kPackSymbol);
  if (!pack) return fail(pack.takeError());
  impl->pack = pack->toPtr<PackKernel>();
  impl->jit = std::move(*jit);
  return std::unique_ptr<CompiledCell>(new CompiledCell(std::move(impl)));
}

}  // namespace rnnc
