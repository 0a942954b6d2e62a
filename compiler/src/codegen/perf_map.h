// RNNC_PERF_MAP=1: the JIT's functions in /tmp/perf-PID.map, the file Linux
// perf reads to name code that no ELF file on disk holds, so that
// `perf record` / `perf report` on a host program show the kernels
// (rnnc_forward_inference.worker, rnnc.gemm.16_12x2_r8_k256_m144, ...) instead
// of [unknown].
#pragma once

#include <llvm/ExecutionEngine/Orc/LLJIT.h>

namespace rnnc {

// With RNNC_PERF_MAP=1, makes `jit` append a line "ADDRESS SIZE NAME" (hex)
// for every function of every object it links from now on; otherwise, or
// when its linker is not JITLink, does nothing.
void add_perf_map_writer(llvm::orc::LLJIT& jit);

}  // namespace rnnc
