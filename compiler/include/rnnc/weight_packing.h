// Which packed copies of the weight matrices a cell's kernels multiply by:
// W for every product W v, Wᵀ for every Wᵀ g, and the stack of the
// matrices of every merged product (kernel_plan.h), each once, side by side
// in one buffer. In a stack each matrix but the last takes a multiple of
// kProductAlignment columns (zero past its own), matching where the merged
// product's results are stored. Decided before code generation; the pack
// kernel (codegen/packed_weights.h) fills the buffer. No LLVM header is
// included here.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "rnnc/gemm_schedule.h"
#include "rnnc/ir.h"

namespace rnnc {

struct PackedWeights {
  struct Form {
    std::vector<int> params;  // one, or the stacked matrices of a merged product
    bool transposed;
    std::int64_t offset;  // floats from the start of the buffer
  };
  std::vector<Form> forms;
  std::int64_t floats = 0;

  // Offset of the packed W (or Wᵀ) of `params` stacked.
  std::int64_t offset(const std::vector<int>& params, bool transposed) const;
};

// W [n][k] (or Wᵀ) as the GEMM sees it: n output columns, k steps.
std::pair<std::int64_t, std::int64_t> gemm_extent(const Symbol& param, bool transposed);

// Columns (rows of W, or of Wᵀ) of each matrix of a stack: padded to
// kProductAlignment but for the last.
std::vector<std::int64_t> stacked_columns(const std::vector<Symbol>& params, const std::vector<int>& stack,
                                          bool transposed);

// The forms every matrix product of `graphs` reads. The graphs share one
// parameter list (a cell's forward and backward steps).
PackedWeights plan_packed_weights(const std::vector<const Graph*>& graphs, const GemmSchedule& schedule);

}  // namespace rnnc
