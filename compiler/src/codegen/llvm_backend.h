// The pipeline's machine-code half through LLVM (rnnc/pipeline.h): the pack
// kernel and the three sequence kernels, prepared for the target,
// verified, optimized, then JIT-linked in this process or generated as one
// object file.
//
// For the JIT they are emitted into three modules: the pack and
// forward-inference kernels with the GEMM helpers, which the pipeline
// optimizes and compiles; forward training; and backward, which call the
// first module's helpers and are optimized and
// compiled when the JIT first looks them up (take_jit), so that inference
// alone never pays for them. An object file holds all four in one module.
//
// With a kernel cache (rnnc/kernel_cache.h) each of these modules' objects
// is looked up before anything is emitted and stored once compiled; when
// all are there, emit() emits nothing and the JIT links the cached objects.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include "codegen/kernel_object_cache.h"
#include "rnnc/kernel_abi.h"
#include "rnnc/kernel_cache.h"
#include "rnnc/pipeline.h"

namespace rnnc {

// The exported symbols of the four kernels: PREFIX_forward_inference,
// PREFIX_forward_training, PREFIX_backward and PREFIX_pack_weights.
struct KernelSymbols {
  explicit KernelSymbols(const std::string& prefix);
  std::string inference, training, backward, pack;
};

class LlvmBackend final : public KernelBackend {
 public:
  enum class Output { Jit, Object };
  // The prefix of the kernels' symbols for a cell of a given name.
  using SymbolPrefix = std::function<std::string(const std::string& cell_name)>;
  // A usage error (CompileError::Kind::Target) for an unknown CPU or
  // feature.
  static Expected<std::unique_ptr<LlvmBackend>> create(const TargetOptions& target, Output output,
                                                        SymbolPrefix symbol_prefix,
                                                        std::shared_ptr<const KernelCache> cache = nullptr);

  GemmSchedule gemm_schedule() const override;
  std::vector<CpuFeature> required_features() const override;
  void emit(const KernelLayout& layout) override;
  void verify(const char* stage) override;
  void optimize() override;
  std::string ir_text() const override;
  std::string assembly() override;
  std::optional<CompileError> finish() override;

  const KernelSymbols& symbols() const { return symbols_; }  // after emit()
  // What the code is generated for: LLVM's CPU name and feature string.
  std::string cpu() const;
  std::string features() const;
  // After finish(), Output::Jit: the pack and inference kernels, compiled,
  // and the JIT that holds all four (its first lookup of the others
  // optimizes and compiles them; one lookup at a time).
  struct JitKernels {
    SequenceKernel inference = nullptr;
    PackKernel pack = nullptr;
    bool from_cache = false;  // every module's object came from the cache
  };
  const JitKernels& jit_kernels() const { return kernels_; }
  std::unique_ptr<llvm::orc::LLJIT> take_jit() { return std::move(jit_); }
  // After finish(), Output::Object: the object file.
  std::string take_object() { return std::move(object_); }

 private:
  LlvmBackend(llvm::orc::JITTargetMachineBuilder builder, std::unique_ptr<llvm::TargetMachine> machine,
              Output output, SymbolPrefix symbol_prefix, std::shared_ptr<const KernelCache> cache);
  std::optional<CompileError> finish_jit();

  llvm::orc::JITTargetMachineBuilder builder_;
  std::shared_ptr<llvm::TargetMachine> machine_;  // shared with the JIT's lazy optimization
  Output output_;
  SymbolPrefix symbol_prefix_;
  KernelSymbols symbols_{""};
  llvm::orc::ThreadSafeContext context_;
  std::shared_ptr<const KernelCache> cache_;
  // Per module: its cache entry, its object when the
  // cache had it, else its IR. The first is optimized by optimize(), the
  // others (JIT only) on first lookup.
  std::vector<CachingCompiler::Entry> entries_;
  std::vector<std::optional<std::string>> cached_;
  std::vector<std::unique_ptr<llvm::Module>> modules_;
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  JitKernels kernels_;
  std::string object_;
};

}  // namespace rnnc
