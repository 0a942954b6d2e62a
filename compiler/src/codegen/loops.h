// The counted loops every generated kernel is made of.
#pragma once

#include <functional>

#include <llvm/IR/IRBuilder.h>

namespace rnnc {

// for (i = 0; i < count; ++i) body(i) at the builder's insertion point,
// skipped when count <= 0; count is an i64. (No pass of the pipeline
// unrolls or vectorizes it: see optimize_module.)
void emit_loop(llvm::IRBuilder<>& builder, llvm::Value* count, const char* name,
               const std::function<void(llvm::Value*)>& body);

// for (i = 0; i < count; i += width) body(i, mask): the elements [0, count)
// in vectors of `width` lanes: the kernels are vector code when emitted,
// not left to LLVM's loop vectorizer (which was most of the optimizer's time
// and of the code). Full vectors get a null mask; a last, partial vector (count % width
// != 0) gets the <width x i1> mask of its lanes below count. When
// `whole_vectors`, the caller knows count is a multiple of width and no
// partial vector is emitted.
using VectorBody = std::function<void(llvm::Value* first, llvm::Value* mask)>;
void emit_vector_loop(llvm::IRBuilder<>& builder, llvm::Value* count, int width, const char* name,
                      const VectorBody& body, bool whole_vectors = false);

// The lanes of a vector of `width` whose index is below `remaining` (an i64
// in [0, width)).
llvm::Value* emit_lane_mask(llvm::IRBuilder<>& builder, llvm::Value* remaining, int width);

// if (condition) body() at the builder's insertion point; condition is an i1.
void emit_if_then(llvm::IRBuilder<>& builder, llvm::Value* condition, const char* name,
                  const std::function<void()>& body);

}  // namespace rnnc
