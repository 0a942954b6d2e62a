#include "rnnc/jit.h"

#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/forward_codegen.h"
#include "codegen/target.h"

namespace rnnc {

struct CompiledCell::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  ForwardPlan plan;
  ForwardKernel forward_inference = nullptr;
  std::string ir_before, ir_after;
};

CompiledCell::CompiledCell(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledCell::~CompiledCell() = default;

ForwardKernel CompiledCell::forward_inference() const { return impl_->forward_inference; }
const ForwardPlan& CompiledCell::forward_plan() const { return impl_->plan; }
const std::string& CompiledCell::llvm_ir(bool optimized) const { return optimized ? impl_->ir_after : impl_->ir_before; }

namespace {

std::string print_module(const llvm::Module& module) {
  std::string text;
  llvm::raw_string_ostream stream(text);
  module.print(stream, nullptr);
  return text;
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
  impl->plan = plan_forward(forward);
  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = std::make_unique<llvm::Module>("rnnc_" + forward.cell_name, *context);
  emit_forward_inference(forward, impl->plan, *module);
  prepare_module(*module, **machine);
  verify_module(*module, "after code generation");
  impl->ir_before = print_module(*module);
  optimize_module(*module, **machine);
  verify_module(*module, "after optimization");
  impl->ir_after = print_module(*module);

  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*builder)).create();
  if (!jit) return fail(jit.takeError());
  // Kernels call libm (tanhf, log1pf): resolve them in this process.
  auto generator = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!generator) return fail(generator.takeError());
  (*jit)->getMainJITDylib().addGenerator(std::move(*generator));
  if (llvm::Error add = (*jit)->addIRModule(llvm::orc::ThreadSafeModule(std::move(module), std::move(context)))) {
    return fail(std::move(add));
  }
  auto symbol = (*jit)->lookup(kForwardInferenceSymbol);
  if (!symbol) return fail(symbol.takeError());
  impl->forward_inference = symbol->toPtr<ForwardKernel>();
  impl->jit = std::move(*jit);
  return std::unique_ptr<CompiledCell>(new CompiledCell(std::move(impl)));
}

}  // namespace rnnc
