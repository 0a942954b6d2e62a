// The packed copies of the weight matrices that a cell's kernels multiply
// by: W for every product W v, Wᵀ for every Wᵀ g, each once, side by side
// in one buffer. A pack kernel fills it from the parameters once per
// weight update; every sequence kernel reads it.
//
//   void NAME(const float* const* params, float* packed)
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <llvm/IR/Module.h>

#include "codegen/gemm.h"
#include "rnnc/ir.h"

namespace rnnc {

struct PackedWeights {
  struct Form {
    int param;
    bool transposed;
    std::int64_t offset;  // floats from the start of the buffer
  };
  std::vector<Form> forms;
  std::int64_t floats = 0;

  // Offset of the packed W (or Wᵀ) of parameter `param`.
  std::int64_t offset(int param, bool transposed) const;
};

// The forms every matrix product of `graphs` reads. The graphs share one
// parameter list (a cell's forward and backward steps).
PackedWeights plan_packed_weights(const std::vector<const Graph*>& graphs, const GemmSchedule& schedule);

void emit_pack_kernel(const std::vector<Symbol>& params, const PackedWeights& packing, const GemmSchedule& schedule,
                      const std::string& name, llvm::Module& module);

}  // namespace rnnc
