// The target machine kernels are compiled for, and the O3 pipeline tuned
// for it.
#pragma once

#include <memory>
#include <string>

#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include "rnnc/cpu_features.h"
#include "rnnc/kernel_abi.h"

namespace rnnc {

// The JIT target machine builder for `target` (the host when target.cpu is
// empty). Returns an error for an unknown CPU or feature.
llvm::Expected<llvm::orc::JITTargetMachineBuilder> make_target_builder(const TargetOptions& target);

// The features of checkable_cpu_features() the machine's code may use: the
// CPU's own, with those implied by them, plus or minus the explicit ones.
std::vector<CpuFeature> required_cpu_features(const llvm::TargetMachine& machine);

// Sets the module's triple and data layout and every function's target-cpu
// and target-features, so that the optimizer costs for the real CPU.
void prepare_module(llvm::Module& module, llvm::TargetMachine& machine);

// verifyModule; aborts with an internal error when the module is broken.
void verify_module(const llvm::Module& module, const char* stage);

// The x86 instructions generated code needs beyond arithmetic, in one
// place. Sets flush-to-zero and denormals-are-zero in MXCSR and returns a
// slot holding the caller's MXCSR, for emit_restore_float_mode at the end:
// denormals can slow recurrent training by an order of magnitude.
llvm::Value* emit_flush_denormals(llvm::IRBuilder<>& b);
void emit_restore_float_mode(llvm::IRBuilder<>& b, llvm::Value* saved);
// A spin-wait hint (pause) inside a busy-wait loop.
void emit_spin_hint(llvm::IRBuilder<>& b);

// The function passes the kernels get instead of O3. The emitted IR is vector
// code already, blocked, with its loops rolled on purpose, so what it needs is
// the clean-up: allocas to registers, common subexpressions, folding, loop
// invariants out of loops, redundant loads. O3's loop vectorizer, SLP,
// unroller, inliner and their clean-up were 190 of 380 ms of an LSTM's
// compile (I = H = 512) and, after the emitter vectorized its own loops,
// measured not to change the kernels' speed (lstm, gru, B = 1 and 64,
// Sapphire Rapids). InstCombine runs without its fixpoint check, as in
// O3: parsed from text it checks by default and aborts the process when one
// iteration leaves something to fold (it did on a layer-normalized LSTM).
inline constexpr const char* kOptimizationPipeline =
    "function(sroa,early-cse<memssa>,instcombine<no-verify-fixpoint>,simplifycfg,loop-mssa(licm),gvn,simplifycfg)";

// Whether code generation skips loop strength reduction (-disable-lsr: on
// unless the host program turned it off), which the kernel cache's key
// records.
bool loop_strength_reduction_disabled();

// Runs kOptimizationPipeline with the target's cost model; with
// RNNC_TIME_PASSES (rnnc/step_timer.h) prints each pass's time.
void optimize_module(llvm::Module& module, llvm::TargetMachine& machine);

// With RNNC_TIME_PASSES, prints (and resets) the code generator's pass
// times since the last report.
void report_codegen_pass_times();


}  // namespace rnnc
