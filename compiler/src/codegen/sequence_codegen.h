// Emits a whole-sequence kernel for a step graph and its SequencePlan:
//
//   void NAME(int64 steps, int64 batch,
//             const RowBuffer* sources,            // per graph input
//             const float* const* initial_states,  // per graph state, [B][len]
//             float* const* final_states,          // per graph state, [B][len]
//             const RowBuffer* sinks,              // per plan sink
//             const float* const* params,          // per parameter
//             float* const* param_gradients,       // per parameter, accumulated (+=)
//             const float* packed_weights,         // filled by the pack kernel (packed_weights.h)
//             float* scratch,                      // SequencePlan::scratch_floats(steps, batch)
//             int64 threads);                      // see thread_team.h
//
// Every matrix product is a GEMM over the rows it covers (all T·B rows
// before and after the time loop, the B rows of a step inside it), on
// weights packed once per weight update; weight gradients are one GEMM
// over all rows after the loop. Threads share each GEMM's columns and each
// pointwise loop's rows, with a barrier after each.
//
// Row r = t·B + b of a RowBuffer starts at data + r·row_stride. The time
// loop runs forwards, or backwards for a backward step.
#pragma once

#include <string>

#include <llvm/IR/Module.h>

#include "rnnc/ir.h"
#include "rnnc/kernel_plan.h"

namespace rnnc {

void emit_sequence_kernel(const Graph& graph, const SequencePlan& plan, const std::string& name, llvm::Module& module);

}  // namespace rnnc
