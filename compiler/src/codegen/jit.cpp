#include "rnnc/jit.h"

#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>

#include "codegen/kernel_module.h"
#include "codegen/target.h"

namespace rnnc {

struct CompiledCell::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  KernelLayout layout;
  Kernel inference, training, backward_kernel;
  PackKernel pack = nullptr;
};

CompiledCell::CompiledCell(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledCell::~CompiledCell() = default;

const Graph& CompiledCell::forward_graph() const { return impl_->layout.forward; }
const BackwardStep& CompiledCell::backward_step() const { return impl_->layout.backward; }
const WorkspaceLayout& CompiledCell::workspace() const { return impl_->layout.workspace; }
const Kernel& CompiledCell::forward_inference() const { return impl_->inference; }
const Kernel& CompiledCell::forward_training() const { return impl_->training; }
const Kernel& CompiledCell::backward() const { return impl_->backward_kernel; }
PackKernel CompiledCell::pack_weights() const { return impl_->pack; }
std::int64_t CompiledCell::packed_weight_floats() const { return impl_->layout.packing.floats; }
int CompiledCell::vector_width() const { return impl_->layout.schedule.vector_width; }
std::int64_t CompiledCell::panel_width() const { return impl_->layout.schedule.panel_width(); }
std::int64_t CompiledCell::widest_row_floats() const { return rnnc::widest_row_floats(impl_->layout); }
std::vector<std::string> CompiledCell::missing_host_features() const {
  return missing_on_host(impl_->layout.required_features);
}

std::unique_ptr<CompiledCell> CompiledCell::compile(const Graph& forward, const TargetOptions& target,
                                                    CompileError& error) {
  auto fail = [&](llvm::Error llvm_error, CompileError::Kind kind = CompileError::Kind::Target) {
    error = {kind, llvm::toString(std::move(llvm_error))};
    return std::unique_ptr<CompiledCell>();
  };
  auto builder = make_target_builder(target);
  if (!builder) return fail(builder.takeError());
  auto machine = builder->createTargetMachine();
  if (!machine) return fail(machine.takeError());

  const KernelSymbols symbols("rnnc");
  auto module = build_kernel_module(forward, **machine, symbols);
  if (!module) return fail(module.takeError(), CompileError::Kind::Cell);
  KernelModule& built = *module;
  auto impl = std::make_unique<Impl>();
  impl->layout = std::move(built.layout);
  impl->inference.plan = impl->layout.inference;
  impl->training.plan = impl->layout.training;
  impl->backward_kernel.plan = impl->layout.backward_kernel;

  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*builder)).create();
  if (!jit) return fail(jit.takeError());
  // LLVM may turn copy loops into memcpy or memset: resolve those in this
  // process.
  auto generator =
      llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess((*jit)->getDataLayout().getGlobalPrefix());
  if (!generator) return fail(generator.takeError());
  (*jit)->getMainJITDylib().addGenerator(std::move(*generator));
  if (llvm::Error add =
          (*jit)->addIRModule(llvm::orc::ThreadSafeModule(std::move(built.module), std::move(built.context)))) {
    return fail(std::move(add));
  }
  for (auto [kernel, symbol] :
       {std::pair{&impl->inference, &symbols.inference}, std::pair{&impl->training, &symbols.training},
        std::pair{&impl->backward_kernel, &symbols.backward}}) {
    auto address = (*jit)->lookup(*symbol);
    if (!address) return fail(address.takeError());
    kernel->function = address->toPtr<SequenceKernel>();
  }
  auto pack = (*jit)->lookup(symbols.pack);
  if (!pack) return fail(pack.takeError());
  impl->pack = pack->toPtr<PackKernel>();
  impl->jit = std::move(*jit);
  return std::unique_ptr<CompiledCell>(new CompiledCell(std::move(impl)));
}

}  // namespace rnnc
