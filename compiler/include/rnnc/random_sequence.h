// Random data for checking a cell against the reference interpreter, shared
// by gradcheck and the runtime's verify: every value uniform in ±scale and
// representable in float, so that float kernels and the double oracle read
// the same numbers.
#pragma once

#include <cstddef>
#include <random>
#include <vector>

#include "rnnc/bptt.h"
#include "rnnc/interpreter.h"

namespace rnnc {

std::vector<double> random_buffer(std::size_t size, std::mt19937& generator, double scale);

// Inputs and initial states in ±1, for steps × batch; vector and scalar
// parameters in ±0.5, a matrix with K columns in ±min(0.5, 1/√K) — PyTorch's
// initialization scale, so that a product's value stays O(1) at any width
// and the gates do not saturate at H = 512 as they would at ±0.5.
InterpreterArgs<double> random_interpreter_args(const Graph& graph, int steps, int batch, std::mt19937& generator);

// A random loss: weights in ±1 on every output and final state of `result`.
LossAdjoints<double> random_loss(const SequenceResult<double>& result, std::mt19937& generator);

}  // namespace rnnc
