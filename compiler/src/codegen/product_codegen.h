// The matrix products of a sequence kernel as calls of the generated GEMM
// (gemm.h) on the plan's packed weights (SequencePlan::products), and the
// parameter gradients, summed over all T·B rows after the time loop.
#pragma once

#include <llvm/IR/Value.h>

#include "codegen/kernel_frame.h"
#include "rnnc/ir.h"

namespace rnnc {

// The product of node `id` for M consecutive rows from first_row (or, in
// the time loop, from sample 0 of the step's buffers: first_sample); for
// the first product of a merged group, the whole group's (the others are
// then done). With `by_rows` (an i1) the threads share the rows, else the
// columns, meeting after the product.
void emit_product(KernelFrame& frame, NodeId id, llvm::Value* M, llvm::Value* first_row, llvm::Value* first_sample,
                  llvm::Value* by_rows);

// The columns [first_unit, first_unit + width) of each U-block of product
// `id` (of a merged group, of its member `id`), for the step's samples:
// one GEMM call whose column segments are the member's U-blocks.
void emit_unit_block_product(KernelFrame& frame, NodeId id, llvm::Value* first_row, llvm::Value* first_unit,
                             llvm::Value* width);

// Adds the gradient's sum over all rows to its parameter's gradient.
void emit_param_gradient(KernelFrame& frame, const ParamGradient& gradient);

}  // namespace rnnc
