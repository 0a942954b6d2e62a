// The pack kernel: fills the packed weights (rnnc/weight_packing.h) from
// the parameters, once per weight update; every sequence kernel reads them.
//
//   void NAME(const float* const* params, float* packed)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <llvm/IR/Module.h>

#include "codegen/gemm.h"
#include "rnnc/weight_packing.h"

namespace rnnc {

void emit_pack_kernel(const std::vector<Symbol>& params, const PackedWeights& packing, const GemmSchedule& schedule,
                      const std::string& name, llvm::Module& module);

}  // namespace rnnc
