// The fixed limits of the compiler and its kernels, in one place so that
// every stage can read them without including the stage that enforces them.
#pragma once

#include <cstdint>

namespace rnnc {

// Largest value a dimension or a parameter's element count may take: the
// kernels index buffers with 32-bit integers.
inline constexpr std::int64_t kMaxExtent = (std::int64_t(1) << 31) - 1;

// Deepest nesting of expressions the parser accepts.
inline constexpr int kMaxNestingDepth = 256;

// The most threads a sequence kernel runs on (its `threads` argument is
// clamped to 1..kMaxKernelThreads).
inline constexpr std::int64_t kMaxKernelThreads = 256;

}  // namespace rnnc
