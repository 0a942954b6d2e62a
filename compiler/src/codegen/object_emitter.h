// Machine code for an optimized module, through the target's code
// generator: an ELF relocatable object, or its assembly text.
#pragma once

#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include <string>

namespace rnnc {

enum class MachineCodeKind { Object, Assembly };

// Works on a copy: code generation rewrites the module it runs on.
std::string emit_machine_code(const llvm::Module& module, llvm::TargetMachine& machine, MachineCodeKind kind);

}  // namespace rnnc
