#include "codegen/target.h"

#include <algorithm>
#include <mutex>

#include <llvm/ADT/StringExtras.h>
#include <llvm/ADT/StringMap.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/IntrinsicsX86.h>
#include <llvm/IR/PassTimingInfo.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Passes/StandardInstrumentations.h>
#include <llvm/Support/CommandLine.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Host.h>

#include "rnnc/internal_error.h"
#include "rnnc/step_timer.h"
#include "rnnc/toolchain.h"

namespace rnnc {

namespace {

// Loop strength reduction was half of code generation's time (an LSTM at
// I = H = 512: 250 of 470 ms, nearly all of it in the kernels' pointwise
// loops, none in the GEMM) and measured not to change the kernels' speed
// (within ±5 % for lstm, gru, rnn and layernorm_lstm at H = 256 to 1024, B =
// 1 to 64, on a Sapphire Rapids core). LLVM has no per-module switch for
// it, only its -disable-lsr option, set here for the process unless the
// host program set it itself.
llvm::cl::opt<bool>* disable_lsr_option() {
  llvm::StringMap<llvm::cl::Option*>& options = llvm::cl::getRegisteredOptions();
  auto found = options.find("disable-lsr");
  return found == options.end() ? nullptr : static_cast<llvm::cl::opt<bool>*>(found->second);
}

void skip_loop_strength_reduction() {
  llvm::cl::opt<bool>* option = disable_lsr_option();
  if (option && option->getNumOccurrences() == 0) option->setValue(true);
}

void initialize_llvm() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    // The code generator's passes (the legacy pass manager) are timed too;
    // report_codegen_pass_times prints them.
    llvm::TimePassesIsEnabled = timing_requested();
    skip_loop_strength_reduction();
  });
}

// A feature list is valid when every entry is +name or -name and the
// target knows the name.
llvm::Error check_features(const llvm::Triple& triple, const std::string& cpu, const std::string& features) {
  std::string lookup_error;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(triple.str(), lookup_error);
  if (!target) return llvm::createStringError(llvm::inconvertibleErrorCode(), lookup_error);
  // Created for the generic CPU: LLVM warns on stderr about an unknown one.
  std::unique_ptr<llvm::MCSubtargetInfo> info(target->createMCSubtargetInfo(triple.str(), "", ""));
  if (!info->isCPUStringValid(cpu)) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "unknown target CPU '" + cpu + "'");
  }
  llvm::SmallVector<llvm::StringRef> entries;
  llvm::StringRef(features).split(entries, ',', -1, false);
  for (llvm::StringRef entry : entries) {
    bool signed_entry = entry.starts_with("+") || entry.starts_with("-");
    bool known = false;
    for (const llvm::SubtargetFeatureKV& feature : info->getAllProcessorFeatures()) {
      known = known || entry.drop_front() == feature.Key;
    }
    if (!signed_entry || !known) {
      return llvm::createStringError(llvm::inconvertibleErrorCode(), "unknown target feature '" + entry.str() + "'");
    }
  }
  return llvm::Error::success();
}

}  // namespace

bool loop_strength_reduction_disabled() {
  initialize_llvm();
  llvm::cl::opt<bool>* option = disable_lsr_option();
  return option && option->getValue();
}

llvm::Expected<llvm::orc::JITTargetMachineBuilder> make_target_builder(const TargetOptions& target) {
  initialize_llvm();
  if (target.cpu.empty() && target.features.empty()) {
    auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (builder) builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
    return builder;
  }
  llvm::Triple triple(llvm::sys::getProcessTriple());
  std::string cpu = target.cpu.empty() ? llvm::sys::getHostCPUName().str() : target.cpu;
  if (llvm::Error error = check_features(triple, cpu, target.features)) return error;
  llvm::orc::JITTargetMachineBuilder builder(triple);
  builder.setCPU(cpu);
  llvm::SmallVector<llvm::StringRef> entries;
  llvm::StringRef(target.features).split(entries, ',', -1, false);
  std::vector<std::string> features(entries.begin(), entries.end());
  builder.addFeatures(features);
  builder.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  return builder;
}

std::vector<CpuFeature> required_cpu_features(const llvm::TargetMachine& machine) {
  const llvm::MCSubtargetInfo* info = machine.getMCSubtargetInfo();
  std::vector<std::string> enabled;
  for (const llvm::SubtargetFeatureKV& feature : info->getAllProcessorFeatures()) {
    if (info->getFeatureBits().test(feature.Value)) enabled.push_back(feature.Key);
  }
  return checkable_subset(enabled);
}

void prepare_module(llvm::Module& module, llvm::TargetMachine& machine) {
  module.setTargetTriple(machine.getTargetTriple().str());
  module.setDataLayout(machine.createDataLayout());
  for (llvm::Function& function : module) {
    if (function.isDeclaration()) continue;
    function.addFnAttr("target-cpu", machine.getTargetCPU());
    function.addFnAttr("target-features", machine.getTargetFeatureString());
    function.addFnAttr(llvm::Attribute::NoUnwind);
  }
}

void verify_module(const llvm::Module& module, const char* stage) {
  std::string message;
  llvm::raw_string_ostream stream(message);
  RNNC_ASSERT(!llvm::verifyModule(module, &stream), std::string("invalid LLVM IR ") + stage + ": " + stream.str());
}

void optimize_module(llvm::Module& module, llvm::TargetMachine& machine) {
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager cgscc;
  llvm::ModuleAnalysisManager modules;
  // RNNC_TIME_PASSES: each pass's time, printed when the handler goes.
  llvm::PassInstrumentationCallbacks instrumentation;
  llvm::TimePassesHandler pass_times(timing_requested());
  pass_times.registerCallbacks(instrumentation);
  llvm::PassBuilder builder(&machine, llvm::PipelineTuningOptions(), std::nullopt, &instrumentation);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(cgscc);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, cgscc, modules);
  llvm::ModulePassManager pipeline;
  llvm::Error error = builder.parsePassPipeline(pipeline, kOptimizationPipeline);
  RNNC_ASSERT(!error, "the optimization pipeline does not parse: " + llvm::toString(std::move(error)));
  pipeline.run(module, modules);
}

Toolchain describe_toolchain() {
  std::vector<std::string> enabled;
  for (const auto& feature : llvm::sys::getHostCPUFeatures()) {
    if (feature.second) enabled.push_back("+" + feature.first().str());
  }
  std::sort(enabled.begin(), enabled.end());
  return {LLVM_VERSION_STRING, llvm::sys::getHostCPUName().str(), llvm::join(enabled, ",")};
}

llvm::Value* emit_flush_denormals(llvm::IRBuilder<>& b) {
  llvm::Module* module = b.GetInsertBlock()->getModule();
  llvm::Value* slot = b.CreateAlloca(b.getInt32Ty());
  b.CreateCall(llvm::Intrinsic::getDeclaration(module, llvm::Intrinsic::x86_sse_stmxcsr), {slot});
  llvm::Value* saved = b.CreateLoad(b.getInt32Ty(), slot);
  b.CreateStore(b.CreateOr(saved, b.getInt32(0x8040)), slot);  // FTZ | DAZ
  b.CreateCall(llvm::Intrinsic::getDeclaration(module, llvm::Intrinsic::x86_sse_ldmxcsr), {slot});
  llvm::Value* restore = b.CreateAlloca(b.getInt32Ty());
  b.CreateStore(saved, restore);
  return restore;
}

void emit_restore_float_mode(llvm::IRBuilder<>& b, llvm::Value* saved) {
  b.CreateCall(llvm::Intrinsic::getDeclaration(b.GetInsertBlock()->getModule(), llvm::Intrinsic::x86_sse_ldmxcsr),
               {saved});
}

void emit_spin_hint(llvm::IRBuilder<>& b) {
  b.CreateCall(llvm::Intrinsic::getDeclaration(b.GetInsertBlock()->getModule(), llvm::Intrinsic::x86_sse2_pause));
}

void report_codegen_pass_times() {
  if (timing_requested()) llvm::reportAndResetTimings(&llvm::errs());
}

}  // namespace rnnc
