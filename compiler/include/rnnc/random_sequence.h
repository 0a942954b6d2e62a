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

// Inputs and initial states in ±1, parameters in ±0.5, for steps × batch.
InterpreterArgs<double> random_interpreter_args(const Graph& graph, int steps, int batch, std::mt19937& generator);

// A random loss: weights in ±1 on every output and final state of `result`.
LossAdjoints<double> random_loss(const SequenceResult<double>& result, std::mt19937& generator);

}  // namespace rnnc
