// Emits the forward-inference kernel of a bound cell as LLVM IR.
#pragma once

#include <memory>

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include "rnnc/ir.h"
#include "rnnc/kernel_plan.h"

namespace rnnc {

inline constexpr const char* kForwardInferenceSymbol = "rnnc_forward_inference";

// Adds `rnnc_forward_inference` (see ForwardKernel in jit.h) to `module`.
void emit_forward_inference(const Graph& graph, const ForwardPlan& plan, llvm::Module& module);

}  // namespace rnnc
