#include "rnnc/aot.h"

#include "codegen/kernel_module.h"
#include "codegen/object_emitter.h"
#include "codegen/target.h"

namespace rnnc {

std::string aot_kernel_prefix(const std::string& name) { return name + "_kernel"; }

std::optional<AotCell> compile_ahead_of_time(const Graph& forward, const AotOptions& options, CompileError& error) {
  auto builder = make_target_builder(options.target);
  if (!builder) {
    error = {CompileError::Kind::Target, llvm::toString(builder.takeError())};
    return std::nullopt;
  }
  // Position-independent, so that the object links into PIE executables and
  // shared libraries alike.
  builder->setRelocationModel(llvm::Reloc::PIC_);
  auto machine = builder->createTargetMachine();
  if (!machine) {
    error = {CompileError::Kind::Target, llvm::toString(machine.takeError())};
    return std::nullopt;
  }
  auto module = build_kernel_module(forward, **machine, KernelSymbols(aot_kernel_prefix(options.name)),
                                    {options.llvm_ir, options.llvm_ir_optimized});
  if (!module) {
    error = {CompileError::Kind::Cell, llvm::toString(module.takeError())};
    return std::nullopt;
  }
  KernelModule& built = *module;
  AotCell cell;
  cell.layout = std::move(built.layout);
  cell.name = options.name;
  cell.cpu = (*machine)->getTargetCPU().str();
  cell.features = (*machine)->getTargetFeatureString().str();
  cell.object = emit_machine_code(*built.module, **machine, MachineCodeKind::Object);
  if (options.assembly) cell.assembly = emit_machine_code(*built.module, **machine, MachineCodeKind::Assembly);
  cell.llvm_ir = std::move(built.ir_before);
  cell.llvm_ir_optimized = std::move(built.ir_after);
  return cell;
}

}  // namespace rnnc
