#include "codegen/kernel_module.h"

#include <llvm/Support/raw_ostream.h>

#include "codegen/gemm.h"
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

std::string print_module(const llvm::Module& module) {
  std::string text;
  llvm::raw_string_ostream stream(text);
  module.print(stream, nullptr);
  return text;
}

}  // namespace

llvm::Expected<KernelModule> build_kernel_module(const Graph& forward, llvm::TargetMachine& machine,
                                                 const KernelSymbols& symbols, IrTexts texts) {
  KernelModule result;
  KernelLayout& layout = result.layout;
  layout = plan_kernels(forward, choose_gemm_schedule(machine), required_cpu_features(machine));
  if (std::string error = layout_bounds_error(layout); !error.empty()) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), error);
  }
  result.context = std::make_unique<llvm::LLVMContext>();
  result.module = std::make_unique<llvm::Module>("rnnc_" + forward.cell_name, *result.context);
  llvm::Module& module = *result.module;
  emit_pack_kernel(forward.params, layout.packing, layout.schedule, symbols.pack, module);
  emit_sequence_kernel(forward, layout.inference, symbols.inference, module);
  emit_sequence_kernel(forward, layout.training, symbols.training, module);
  emit_sequence_kernel(layout.backward.graph, layout.backward_kernel, symbols.backward, module);
  prepare_module(module, machine);
  verify_module(module, "after code generation");
  if (texts.before_optimization) result.ir_before = print_module(module);
  optimize_module(module, machine);
  verify_module(module, "after optimization");
  if (texts.after_optimization) result.ir_after = print_module(module);
  return result;
}

}  // namespace rnnc
