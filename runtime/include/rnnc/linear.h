// A linear map of rows, nn.Linear's layout (weight [outputs][inputs], bias
// [outputs]): the output layer under a softmax or a CTC loss. It runs as a
// state-less JIT-compiled cell, so it uses the same GEMM kernels as the
// recurrent layers; all rows of a call are one GEMM.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "rnnc/cell.h"
#include "rnnc/sequence_layer.h"

namespace rnnc {

class Linear {
 public:
  Linear(std::int64_t input_size, std::int64_t output_size);

  std::int64_t input_size() const { return input_size_; }
  std::int64_t output_size() const { return output_size_; }

  // The rows of `input`; throws RuntimeError unless it is a whole number
  // of rows of input_size().
  std::int64_t rows(std::span<const float> input) const;
  // [rows][output_size] for `input` [rows][input_size], valid until the
  // next forward(); `training` records what backward() needs.
  std::span<const float> forward(std::span<const float> input, bool training);
  // After a training forward(): adds the weight and bias gradients and
  // returns the adjoint of its input, valid until the next backward().
  std::span<const float> backward(std::span<const float> output_adjoint);

  // PREFIX + "weight", PREFIX + "bias".
  std::vector<TrainableTensor> parameters(const std::string& prefix);
  // nn.Linear's default U(±1/sqrt(inputs)), or Xavier-uniform with a zero bias.
  void initialize(WeightInit init, Rng& rng);
  void parameters_changed() { cell_.parameters_changed(); }

 private:
  std::int64_t input_size_, output_size_;
  Cell cell_;
  std::vector<float> output_, input_adjoint_;
};

}  // namespace rnnc
