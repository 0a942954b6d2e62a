// The LLVM module of one cell's kernels, shared by the JIT and the
// ahead-of-time compiler: differentiate the cell, plan the three sequence
// kernels, generate them and the pack kernel, prepare the module for the
// target and optimize it at O3.
#pragma once

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/Error.h>
#include <llvm/Target/TargetMachine.h>

#include <memory>
#include <string>

#include "rnnc/kernel_layout.h"

namespace rnnc {

// The exported symbols of the four kernels: PREFIX_forward_inference,
// PREFIX_forward_training, PREFIX_backward and PREFIX_pack_weights.
struct KernelSymbols {
  explicit KernelSymbols(const std::string& prefix);
  std::string inference, training, backward, pack;
};

struct KernelModule {
  KernelLayout layout;
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;  // optimized
  std::string ir_before, ir_after;       // the module printed, when asked for (see IrTexts)
};

// Which prints of the module to keep: they take longer than generating it.
struct IrTexts {
  bool before_optimization = false, after_optimization = false;
};

// An error when the layout exceeds the bounds of rnnc/cell_bounds.h.
llvm::Expected<KernelModule> build_kernel_module(const Graph& forward, llvm::TargetMachine& machine,
                                                 const KernelSymbols& symbols, IrTexts texts = {});

}  // namespace rnnc
