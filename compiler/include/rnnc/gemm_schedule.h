// The blocking of the generated GEMMs, decided before any code is
// generated: register tile, panel width, cache blocks, and the size of a
// weight matrix packed into panels. No LLVM header is included here.
#pragma once

#include <cstdint>

namespace rnnc {

struct GemmSchedule {
  int vector_width = 8;        // floats per vector register (4: SSE, 8: AVX, 16: AVX-512)
  int tile_rows = 6;           // MR: rows of A (broadcast) per register tile
  int tile_vectors = 2;        // NR = tile_vectors · vector_width columns per panel and tile
  int row_panels = 4;          // panels a single row (a batch-1 step) multiplies at once
  std::int64_t k_block = 256;  // kc: k steps per pass over C
  std::int64_t m_block = 144;  // mc: rows of A per block, a multiple of tile_rows
  int prefetch_panels = 1;     // a full tile prefetches the panel this far ahead into L2 (0: none)
  // kc when A has fewer than few_rows rows: then one or two tiles reuse a
  // panel of W, which should stay in L1 for them.
  std::int64_t few_rows_k_block = 256;
  int few_rows = 32;

  int panel_width() const { return tile_vectors * vector_width; }  // NR
};

// The schedule for a vector width (4, 8 or 16 floats). MR × tile_vectors
// accumulators plus tile_vectors panel vectors and a broadcast fit the
// register file; a kc × NR panel of W is at most 32 KiB (L1 on Zen 3 and
// 5); an mc × kc block of A fits L2 with room to spare; a single row
// multiplies row_panels panels at once (16 vectors on AVX-512, 8 otherwise):
//   16 (AVX-512, 32 registers): 12 rows × 2 vectors (24 accumulators, NR 32), kc 512 (256 below 32 rows),
//                               mc 72, 8 row panels
//    8 (AVX/AVX2, 16 registers): 6 rows × 2 vectors (12 accumulators, NR 16), kc 512, mc 144, 4 row panels
//    4 (SSE, 16 registers):      6 rows × 2 vectors (12 accumulators, NR 8),  kc 512, mc 72, 4 row panels
// On AVX-512, 12 × 2 runs n = 2048, k = 512 at M = 16 and 64 rows 23 % and
// 9 % faster than 6 × 4 (NR 64, kc 128) on Sapphire Rapids (best of three,
// test_gemm "[.gemm-tune]"); a 12 × 2 tile over half of a 64-column panel
// was no faster than 6 × 4. On AVX-512, kc 512 instead of 256 (C
// written and read back half as often) ran M = 3200 14 % and M = 64 7 %
// faster but M = 16 5 % slower (its 64 KiB panels leave L1), hence kc 256
// below 32 rows (medians of five, n = 2048, k = 512). The A block is on
// the stack: 144 KiB (mc 72 × kc 512, ran as fast as mc 144).
// Prefetching the next panel (prefetch_panels 1) ran n = 2048, k = 512 at
// M = 16 6–16 % faster on AVX-512 and 2–8 % on the AVX2 schedule, M = 64
// 2–4 %, the rest the same (W of 4 MiB, beyond L2); the single row
// prefetching its next group of panels was 5–10 % slower, so it does not.
// The same runs found mc 72 no steadier a gain than noise (±5 %).
// A panel width of 32 or 16 divides n = 4H or 3H for the usual hidden
// sizes, so the stack-tile path of the last panel is rare.
GemmSchedule gemm_schedule_for_width(int vector_width);

// Floats needed to hold W [n][k] packed into panels: ceil(n / NR)·NR·k.
std::int64_t packed_floats(std::int64_t n, std::int64_t k, const GemmSchedule& schedule);

}  // namespace rnnc
