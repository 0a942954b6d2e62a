// What every implementation in bench_rnn is measured on: the cells, the
// passes, the problem shape, the FLOP count and the random data.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <string_view>

namespace rnnc::bench {

// The cells of dsl/ that are benchmarked. The first four are oneDNN's too;
// layernorm_lstm is a custom cell, which only rnnc and libtorch (as torch
// ops) run.
enum class CellKind { Rnn, Lstm, Gru, GruClassic, LayernormLstm };

// fwd-infer: forward inference. fwd-train: forward training (which also
// saves what backward reads). fwd+bwd: forward training, then backward
// through the whole sequence with weight gradients.
enum class Pass { ForwardInference, ForwardTraining, ForwardBackward };

struct Shape {
  std::int64_t steps = 50;  // T
  std::int64_t batch = 1;   // B
  std::int64_t input = 1;   // I
  std::int64_t hidden = 1;  // H
};

constexpr std::string_view cell_name(CellKind cell) {
  switch (cell) {
    case CellKind::Rnn: return "rnn";
    case CellKind::Lstm: return "lstm";
    case CellKind::Gru: return "gru";
    case CellKind::GruClassic: return "gru_classic";
    case CellKind::LayernormLstm: return "layernorm_lstm";
  }
  return "?";
}

constexpr std::string_view pass_name(Pass pass) {
  switch (pass) {
    case Pass::ForwardInference: return "fwd-infer";
    case Pass::ForwardTraining: return "fwd-train";
    case Pass::ForwardBackward: return "fwd+bwd";
  }
  return "?";
}

// Gate blocks of H rows in the step's matrix products: the weights are
// [G·H][I] and [G·H][H].
constexpr std::int64_t gate_count(CellKind cell) {
  switch (cell) {
    case CellKind::Rnn: return 1;
    case CellKind::Gru:
    case CellKind::GruClassic: return 3;
    case CellKind::Lstm:
    case CellKind::LayernormLstm: return 4;
  }
  return 0;
}

// FLOPs as oneDNN's benchdnn counts them: matrix products only, 2·rows·cols
// per product and row, so 2·G·H·(I + H)·B·T forward; backward twice that
// (the input, state and weight adjoints), so fwd+bwd is 3× forward.
// Pointwise work (activations, layer norms, biases) is not counted.
constexpr double flops(CellKind cell, Pass pass, const Shape& s) {
  const double forward = 2.0 * double(gate_count(cell) * s.hidden) * double(s.input + s.hidden) *
                         double(s.batch) * double(s.steps);
  return pass == Pass::ForwardBackward ? 3.0 * forward : forward;
}

// Every implementation fills its buffers from this generator: weights
// uniform in ±1/sqrt(H) (PyTorch's default), data in ±1. The values only
// have to be realistic (no denormals, no saturation everywhere).
class RandomFill {
 public:
  explicit RandomFill(std::uint32_t seed) : engine_(seed) {}
  void operator()(std::span<float> values, float scale) {
    std::uniform_real_distribution<float> uniform(-scale, scale);
    for (float& value : values) value = uniform(engine_);
  }

 private:
  std::mt19937 engine_;
};

}  // namespace rnnc::bench
