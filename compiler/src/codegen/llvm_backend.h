// The pipeline's machine-code half through LLVM (rnnc/pipeline.h): one
// module holding the pack kernel and the three sequence kernels, prepared
// for the target, verified, optimized at O3, then JIT-linked in this
// process or generated as an object file.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include "rnnc/kernel_abi.h"
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
                                                        SymbolPrefix symbol_prefix);

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
  // After finish(), Output::Jit: the kernels, linked and compiled (the
  // JIT compiles on the first lookup, which finish() makes), and the JIT
  // that holds them.
  struct JitKernels {
    SequenceKernel inference = nullptr, training = nullptr, backward = nullptr;
    PackKernel pack = nullptr;
  };
  const JitKernels& jit_kernels() const { return kernels_; }
  std::unique_ptr<llvm::orc::LLJIT> take_jit() { return std::move(jit_); }
  // After finish(), Output::Object: the object file.
  std::string take_object() { return std::move(object_); }

 private:
  LlvmBackend(llvm::orc::JITTargetMachineBuilder builder, std::unique_ptr<llvm::TargetMachine> machine,
              Output output, SymbolPrefix symbol_prefix);

  llvm::orc::JITTargetMachineBuilder builder_;
  std::unique_ptr<llvm::TargetMachine> machine_;
  Output output_;
  SymbolPrefix symbol_prefix_;
  KernelSymbols symbols_{""};
  std::unique_ptr<llvm::LLVMContext> context_;
  std::unique_ptr<llvm::Module> module_;
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  JitKernels kernels_;
  std::string object_;
};

}  // namespace rnnc
