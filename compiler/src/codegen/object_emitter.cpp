#include "codegen/object_emitter.h"

#include <llvm/ADT/SmallVector.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Transforms/Utils/Cloning.h>

#include "rnnc/internal_error.h"

namespace rnnc {

std::string emit_machine_code(const llvm::Module& module, llvm::TargetMachine& machine, MachineCodeKind kind) {
  std::unique_ptr<llvm::Module> copy = llvm::CloneModule(module);
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream stream(buffer);
  llvm::legacy::PassManager passes;
  llvm::CodeGenFileType type =
      kind == MachineCodeKind::Object ? llvm::CodeGenFileType::ObjectFile : llvm::CodeGenFileType::AssemblyFile;
  bool unsupported = machine.addPassesToEmitFile(passes, stream, nullptr, type);
  RNNC_ASSERT(!unsupported, "the target machine cannot emit this kind of file");
  passes.run(*copy);
  return std::string(buffer.begin(), buffer.end());
}

}  // namespace rnnc
