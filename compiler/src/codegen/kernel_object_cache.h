// Where machine code meets the kernel cache (rnnc/kernel_cache.h): the key
// of one module's object, and the ORC compiler that stores each object it
// compiles.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <llvm/ExecutionEngine/Orc/IRCompileLayer.h>
#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include "rnnc/kernel_cache.h"

namespace rnnc {

// What decides a module's machine code: this build of rnnc (version, commit
// and uncommitted changes), LLVM's version, the target (triple, CPU,
// features, code and relocation models, code generation level), the
// optimization pipeline, the bound cell's IR as printed (so comments,
// spacing and the way dimensions were given do not matter) and which of
// the cell's modules this is (`role`). `cell_ir` is print_graph() of the
// bound forward graph.
CacheKey module_cache_key(const std::string& cell_ir, const llvm::TargetMachine& machine, const std::string& role);
// The entry's description for `rnnc cache list`: cell, dimensions, CPU, role.
std::string module_description(const std::string& cell_ir, const llvm::TargetMachine& machine,
                               const std::string& role);

// Compiles modules with `machine` (one at a time) and stores the object of
// each module whose identifier `entries` names under that entry's key.
class CachingCompiler final : public llvm::orc::IRCompileLayer::IRCompiler {
 public:
  struct Entry {
    CacheKey key;
    std::string description;
  };
  CachingCompiler(std::shared_ptr<llvm::TargetMachine> machine, std::shared_ptr<const KernelCache> cache,
                  std::map<std::string, Entry> entries);
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> operator()(llvm::Module& module) override;

 private:
  std::shared_ptr<llvm::TargetMachine> machine_;
  std::shared_ptr<const KernelCache> cache_;
  std::map<std::string, Entry> entries_;
};

}  // namespace rnnc
