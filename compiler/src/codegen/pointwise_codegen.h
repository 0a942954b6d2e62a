// The code of one row of a value that is not a matrix product, as vector
// code: elementwise math (with vector_math.h's inline transcendentals),
// broadcasts, concatenations, padding, sums, means and softmax, on values
// whose addresses the kernel frame (kernel_frame.h) resolved.
#pragma once

#include <cstdint>
#include <vector>

#include <llvm/IR/IRBuilder.h>

#include "rnnc/ir.h"

namespace rnnc {

// Where one value of one row lives: `base` points at its element 0. A
// constant has no buffer; a length-1 value broadcasts. An inlined value
// (ValuePlacement::inlined) has no buffer either: its element j is
// `expression` applied to element j + shift of each of `terms`.
struct Access {
  Access() = default;
  Access(llvm::Value* base, llvm::Value* constant, std::int64_t length)
      : base(base), constant(constant), length(length) {}

  llvm::Value* base = nullptr;
  llvm::Value* constant = nullptr;
  std::int64_t length = 1;
  const Node* expression = nullptr;
  std::vector<Access> terms;
  std::int64_t shift = 0;
};

// Computes `node` for one row into `destination` from its operands, in
// vectors of `width` floats: all of its elements, or for an elementwise node
// (unary, binary, broadcast) the `count` elements from `first` (both null:
// all), count a multiple of width.
void emit_row_values(llvm::IRBuilder<>& b, int width, const Node& node, llvm::Value* destination,
                     const std::vector<Access>& operands, llvm::Value* first = nullptr, llvm::Value* count = nullptr);

// Copies elements [first, first + count) of `source` to `destination`;
// `whole_vectors`: count is a multiple of width.
void emit_copy(llvm::IRBuilder<>& b, int width, const Access& source, llvm::Value* destination, llvm::Value* first,
               llvm::Value* count, bool whole_vectors = false);

// destination[j] += source[j] for j in [first, first + count).
void emit_accumulate(llvm::IRBuilder<>& b, int width, const Access& source, llvm::Value* destination,
                     llvm::Value* first, llvm::Value* count);

}  // namespace rnnc
