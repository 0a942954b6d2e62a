// The counted loop every generated kernel is made of.
#pragma once

#include <functional>

#include <llvm/IR/IRBuilder.h>

namespace rnnc {

// Marks a loop's back edge so that LLVM does not unroll it (fully unrolled
// constant-trip-count loops made an LSTM at H = 64 take 4 s to compile
// instead of 0.8 s) and, unless `vectorize`, does not vectorize it either.
void keep_rolled(llvm::BranchInst* back_edge, bool vectorize = true);

// for (i = 0; i < count; ++i) body(i) at the builder's insertion point,
// skipped when count <= 0; count is an i64. Kept rolled.
void emit_loop(llvm::IRBuilder<>& builder, llvm::Value* count, const char* name,
               const std::function<void(llvm::Value*)>& body, bool vectorize = true);

// if (condition) body() at the builder's insertion point; condition is an i1.
void emit_if_then(llvm::IRBuilder<>& builder, llvm::Value* condition, const char* name,
                  const std::function<void()>& body);

}  // namespace rnnc
