#include "codegen/kernel_object_cache.h"

#include <llvm/Config/llvm-config.h>
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>

#include "codegen/target.h"
#include "rnnc/build_id.h"

namespace rnnc {

CacheKey module_cache_key(const std::string& cell_ir, const llvm::TargetMachine& machine, const std::string& role) {
  std::string code_model = std::to_string(int(machine.getCodeModel()));
  std::string relocation = std::to_string(int(machine.getRelocationModel()));
  std::string level = std::to_string(int(machine.getOptLevel()));
  std::string lsr = loop_strength_reduction_disabled() ? "no-lsr" : "lsr";
  return cache_key({RNNC_BUILD_ID, LLVM_VERSION_STRING, machine.getTargetTriple().str(), machine.getTargetCPU(),
                    machine.getTargetFeatureString(), code_model, relocation, level, kOptimizationPipeline, lsr, role,
                    cell_ir});
}

std::string module_description(const std::string& cell_ir, const llvm::TargetMachine& machine,
                               const std::string& role) {
  return cell_ir.substr(0, cell_ir.find('\n')) + " " + machine.getTargetCPU().str() + " " + role;
}

CachingCompiler::CachingCompiler(std::shared_ptr<llvm::TargetMachine> machine,
                                 std::shared_ptr<const KernelCache> cache, std::map<std::string, Entry> entries)
    : IRCompiler(llvm::orc::irManglingOptionsFromTargetOptions(machine->Options)),
      machine_(std::move(machine)),
      cache_(std::move(cache)),
      entries_(std::move(entries)) {}

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> CachingCompiler::operator()(llvm::Module& module) {
  auto object = llvm::orc::SimpleCompiler(*machine_)(module);
  auto entry = entries_.find(module.getModuleIdentifier());
  if (object && cache_ && entry != entries_.end()) {
    cache_->store(entry->second.key, entry->second.description, (*object)->getBuffer());
  }
  return object;
}

}  // namespace rnnc
