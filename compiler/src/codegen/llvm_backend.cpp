#include "codegen/llvm_backend.h"

#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/gemm.h"
#include "codegen/object_emitter.h"
#include "codegen/packed_weights.h"
#include "codegen/sequence_codegen.h"
#include "codegen/target.h"

namespace rnnc {

KernelSymbols::KernelSymbols(const std::string& prefix)
    : inference(prefix + "_forward_inference"),
      training(prefix + "_forward_training"),
      backward(prefix + "_backward"),
      pack(prefix + "_pack_weights") {}

namespace {

// What LLVM refused of the target or of linking, as a usage error.
CompileError target_error(llvm::Error error) {
  return CompileError{CompileError::Kind::Target, llvm::toString(std::move(error))};
}

// Sets `function` to the JIT's address of `symbol` (compiling the module
// on the first lookup).
template <class Function>
std::optional<CompileError> look_up(llvm::orc::LLJIT& jit, const std::string& symbol, Function& function) {
  auto found = jit.lookup(symbol);
  if (!found) return target_error(found.takeError());
  function = found->toPtr<Function>();
  return std::nullopt;
}

}  // namespace

Expected<std::unique_ptr<LlvmBackend>> LlvmBackend::create(const TargetOptions& target, Output output,
                                                           SymbolPrefix symbol_prefix) {
  auto fail = target_error;
  auto builder = make_target_builder(target);
  if (!builder) return fail(builder.takeError());
  // An object file is position independent, so that it links into PIE
  // executables and shared libraries alike.
  if (output == Output::Object) builder->setRelocationModel(llvm::Reloc::PIC_);
  auto machine = builder->createTargetMachine();
  if (!machine) return fail(machine.takeError());
  return std::unique_ptr<LlvmBackend>(
      new LlvmBackend(std::move(*builder), std::move(*machine), output, std::move(symbol_prefix)));
}

LlvmBackend::LlvmBackend(llvm::orc::JITTargetMachineBuilder builder, std::unique_ptr<llvm::TargetMachine> machine,
                         Output output, SymbolPrefix symbol_prefix)
    : builder_(std::move(builder)),
      machine_(std::move(machine)),
      output_(output),
      symbol_prefix_(std::move(symbol_prefix)) {}

GemmSchedule LlvmBackend::gemm_schedule() const { return choose_gemm_schedule(*machine_); }
std::vector<CpuFeature> LlvmBackend::required_features() const { return required_cpu_features(*machine_); }
std::string LlvmBackend::cpu() const { return machine_->getTargetCPU().str(); }
std::string LlvmBackend::features() const { return machine_->getTargetFeatureString().str(); }

void LlvmBackend::emit(const KernelLayout& layout) {
  symbols_ = KernelSymbols(symbol_prefix_(layout.forward.cell_name));
  context_ = std::make_unique<llvm::LLVMContext>();
  module_ = std::make_unique<llvm::Module>("rnnc_" + layout.forward.cell_name, *context_);
  emit_pack_kernel(layout.forward.params, layout.packing, layout.schedule, symbols_.pack, *module_);
  emit_sequence_kernel(layout.forward, layout.inference, symbols_.inference, *module_);
  emit_sequence_kernel(layout.forward, layout.training, symbols_.training, *module_);
  emit_sequence_kernel(layout.backward.graph, layout.backward_kernel, symbols_.backward, *module_);
  prepare_module(*module_, *machine_);
}

void LlvmBackend::verify(const char* stage) { verify_module(*module_, stage); }
void LlvmBackend::optimize() { optimize_module(*module_, *machine_); }

std::string LlvmBackend::ir_text() const {
  std::string text;
  llvm::raw_string_ostream stream(text);
  module_->print(stream, nullptr);
  return text;
}

std::string LlvmBackend::assembly() { return emit_machine_code(*module_, *machine_, MachineCodeKind::Assembly); }

std::optional<CompileError> LlvmBackend::finish() {
  auto fail = target_error;
  if (output_ == Output::Object) {
    object_ = emit_machine_code(*module_, *machine_, MachineCodeKind::Object);
    report_codegen_pass_times();
    return std::nullopt;
  }
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(builder_).create();
  if (!jit) return fail(jit.takeError());
  // LLVM may turn copy loops into memcpy or memset: resolve those in this
  // process.
  auto generator =
      llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess((*jit)->getDataLayout().getGlobalPrefix());
  if (!generator) return fail(generator.takeError());
  (*jit)->getMainJITDylib().addGenerator(std::move(*generator));
  if (llvm::Error error = (*jit)->addIRModule(llvm::orc::ThreadSafeModule(std::move(module_), std::move(context_)))) {
    return fail(std::move(error));
  }
  for (std::optional<CompileError> error :
       {look_up(**jit, symbols_.inference, kernels_.inference), look_up(**jit, symbols_.training, kernels_.training),
        look_up(**jit, symbols_.backward, kernels_.backward), look_up(**jit, symbols_.pack, kernels_.pack)}) {
    if (error) return error;
  }
  report_codegen_pass_times();
  jit_ = std::move(*jit);
  return std::nullopt;
}

}  // namespace rnnc
