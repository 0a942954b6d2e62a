// Hand-written C++ LSTM and GRU (linear-before-reset, gru.cell) baselines:
// what a programmer gets without a compiler like rnnc or a library like
// oneDNN. Both backends run the same algorithm, the one PERFORMANCE.md
// describes as the minimum:
//
//   forward   the input projection of all T·B rows as one matrix product
//             before the time loop; per step one recurrent product for all
//             gates, then scalar pointwise loops (std::exp, std::tanh);
//             training stores the activated gates (and tanh(c)).
//   backward  the reverse loop computes the gate adjoints of every step and
//             the state adjoint (one product per step); dX, dW_ih, dW_hh and
//             the bias gradients are one product or sum each after the loop.
//
// They differ only in the matrix products:
//   loop  the textbook triple loop (i-k-j order, so the inner loop runs over
//         contiguous output columns and the compiler can vectorize it);
//   blas  cblas_sgemm from OpenBLAS (single-threaded), when built with it.
// Weights are laid out once, outside the timed calls, as each product wants
// them (transposed for the forward, as given for the backward).
#pragma once

#include <memory>

#include "problem.h"

namespace rnnc::bench {

enum class GemmBackend { Loop, Blas };

// Whether bench_rnn was built with OpenBLAS (RNNC_BENCH_HAVE_OPENBLAS).
bool blas_available();
// Limits OpenBLAS to the calling thread; a no-op without it.
void blas_use_one_thread();
// OpenBLAS's build configuration and the kernel it picked, or "".
const char* blas_description();

class Baseline {
 public:
  virtual ~Baseline() = default;
  // One pass over the whole sequence, as OnednnPeer::run.
  virtual void run() = 0;
};

// The cells with a baseline: lstm and gru.
bool baseline_supports(CellKind cell);

// Throws std::invalid_argument for a cell without a baseline, or for
// GemmBackend::Blas when blas_available() is false.
std::unique_ptr<Baseline> make_baseline(CellKind cell, Pass pass, const Shape& shape, GemmBackend backend);

}  // namespace rnnc::bench
