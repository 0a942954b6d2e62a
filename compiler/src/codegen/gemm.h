// A register-blocked GEMM emitted as LLVM IR: C (=, +=) A Wᵀ with W a
// parameter matrix in PyTorch layout (row-major [n][k]), A a strided buffer
// (A[m][kk] at A + m·a_stride + kk·a_k_stride: row-major, or the transpose
// of a row-major matrix, read without transposing it first) and C a
// row-strided buffer, with a runtime row count M. No BLAS: the kernel is
// its own.
//
// W is packed once (per weight update) into column panels of NR = tile_vectors
// · vector_width output columns each, ceil(n / NR) panels:
//
//   panel p at p·k·NR floats; its element [kk][c], at + kk·NR + c, holds
//   W[p·NR + c][kk], or 0 where p·NR + c >= n
//
// so that one k step of a panel is NR contiguous floats, loaded as
// tile_vectors vectors.
//
// Loop nest (mc = m_block, kc = k_block):
//
//   for m0 in [0, M) step mc                 mc·kc floats of A stay in L2
//     for k0 in [0, k) step kc
//       pack that block of A onto the stack, tile by tile, each k step of a
//       tile its rows' values together (one stream of A for the
//       micro-kernel instead of one per row: 35–55 → 75–82 GFLOP/s at
//       M = 3200 on Zen 3)
//       for each panel (NR columns)          kc·NR floats of W stay in L1
//         (a single row: row_panels full panels at a time, a 1 × row_panels·NR
//         tile: that many streams of W and independent multiply-add chains,
//         for batch-1 steps that stream W from L3 or memory)
//         for each MR-row tile of [m0, m0+mc), then tiles of 4 rows (or
//         the largest power of two below MR) while they fit, then of 2
//         and 1 rows, for the rest:
//           prefetch the tile's lines of C (for writing);
//           MR × tile_vectors <W x float> accumulators from 0;
//           for kk in [k0, k0+kc): acc[r][v] = fmuladd(splat(A[r][kk]), panel[kk][v], acc[r][v])
//           C = acc, or C += acc (accumulating, or not the first k block)
//
// k is split into ceil(k / kc) blocks of equal length. C is read only after
// the k loop, so that its cache misses overlap the loop (with the prefetch)
// instead of stalling the tile's start.
//
// The last panel, when n % NR != 0, runs the same tiles on an MR × NR stack
// tile that its real columns are copied into and out of, so no tile needs a
// masked load or store and every target (SSE2 too) runs the same code.
//
// Code size and compile time: the GEMM and the packing are each emitted
// once per module and schedule, as internal noinline functions taking n and
// k at run time ("rnnc.gemm.<schedule>", "rnnc.gemm_pack.<NR>");
// emit_gemm and emit_pack_weights emit calls to them. The GEMM holds
// one micro-kernel per tile height (MR, then 4, 2, 1 rows below it) and one
// of a row × row_panels panels, each a rolled k loop; every
// loop is marked not to be unrolled. The multiply-adds are llvm.fmuladd:
// fused where the target has FMA, a multiply and an add elsewhere (never a
// call to fmaf). prepare_module gives the helpers the target's attributes
// like every other function of the module.
#pragma once

#include <cstdint>

#include <llvm/IR/Function.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Value.h>
#include <llvm/Target/TargetMachine.h>

#include "rnnc/gemm_schedule.h"

namespace rnnc {

// The schedule for the machine kernels are compiled for: its widest float
// vectors (avx512f: 16, avx: 8, otherwise 4).
GemmSchedule choose_gemm_schedule(const llvm::TargetMachine& machine);

// Emits, at the builder's insertion point, a call that packs W (row-major
// [n][k], or when `transposed` the row-major [k][n] matrix whose transpose
// W is) into `packed` (packed_floats(n, k) floats, not overlapping W).
// n, k >= 1.
void emit_pack_weights(llvm::IRBuilder<>& b, llvm::Function* f, llvm::Value* W, llvm::Value* packed, std::int64_t n,
                       std::int64_t k, const GemmSchedule& schedule, bool transposed = false);

// Emits, at the builder's insertion point, a call that computes C[m][j] (=,
// or += when `accumulate`) Σ_kk A[m][kk] · W[j][kk] for 0 <= m < M,
// 0 <= j < n, with A[m][kk] at a_base + m·a_stride + kk·a_k_stride and row m
// of C at c_base + m·c_stride. M, the strides and c_stride are i64 values in floats
// (M <= 0: nothing is done); `packed` holds W as emit_pack_weights left it.
// Only columns [0, n) of rows [0, M) of C are read or written (C is read
// only when accumulating or k > k_block); C's rows must not overlap each
// other (c_stride >= n), A or packed. n, k >= 1. `f` is the function being
// emitted (its module receives the shared GEMM function).
void emit_gemm(llvm::IRBuilder<>& b, llvm::Function* f, llvm::Value* M, llvm::Value* a_base, llvm::Value* a_stride,
               llvm::Value* a_k_stride, llvm::Value* packed, llvm::Value* c_base, llvm::Value* c_stride, std::int64_t n,
               std::int64_t k, bool accumulate, const GemmSchedule& schedule);

// The shared functions themselves, created on first use, for callers that
// have n or k only at run time:
//   void pack(ptr W, ptr packed, i64 n, i64 k, i64 row_stride, i64 k_stride)
//     (element [j][kk] of W at W + j·row_stride + kk·k_stride)
//   void gemm(i64 M, ptr A, i64 a_stride, i64 a_k_stride, ptr packed, ptr C, i64 c_stride, i64 n, i64 k,
//             i64 segments, i64 segment_stride, i1 accumulate)
// with the meaning above (n, k >= 1; k = 0 writes nothing, even when not
// accumulating), done for `segments` column ranges at once: range s is
// columns [s·segment_stride, s·segment_stride + n) of C and of W, whose
// packed panels start at packed + s·segment_stride·k (segment_stride a
// multiple of NR when segments > 1). One call packs A once for all of them:
// the gate columns of a block of hidden units are one call. For an AVX-512 schedule the GEMM
// has "min-legal-vector-width"="512", so that CPUs tuned to prefer 256-bit
// vectors still run it on zmm registers.
llvm::Function* gemm_pack_function(llvm::Module& module, const GemmSchedule& schedule);
llvm::Function* gemm_function(llvm::Module& module, const GemmSchedule& schedule);

// The arguments of one call of gemm_function, by name (i64 values but for
// accumulate). Segments: one range of n columns unless set.
struct GemmCall {
  llvm::Value* rows;  // M
  llvm::Value* a;
  llvm::Value* a_stride;
  llvm::Value* a_k_stride;
  llvm::Value* packed;
  llvm::Value* c;
  llvm::Value* c_stride;
  llvm::Value* n;
  llvm::Value* k;
  llvm::Value* segments = nullptr;
  llvm::Value* segment_stride = nullptr;
  bool accumulate = false;
};

// Emits the call at the builder's insertion point.
void emit_gemm_call(llvm::IRBuilder<>& b, const GemmSchedule& schedule, const GemmCall& call);

}  // namespace rnnc
