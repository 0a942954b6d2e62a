#include "rnnc/linear.h"

#include <algorithm>

#include <fmt/format.h>

#include "rnnc/init.h"

namespace rnnc {

namespace {

const char* const kLinearCell =
    "# The linear map of rnnc::Linear, as nn.Linear.\n"
    "cell linear<I, V> {\n"
    "  input x[I]\n"
    "  param W[V, I], b[V]\n"
    "  output y = W @ x + b\n"
    "}\n";

}  // namespace

Linear::Linear(std::int64_t input_size, std::int64_t output_size)
    : input_size_(input_size),
      output_size_(output_size),
      cell_(SourceFile{"linear.cell", kLinearCell}, {{"I", input_size}, {"V", output_size}}) {}

std::int64_t Linear::rows(std::span<const float> input) const {
  if (std::int64_t(input.size()) % input_size_ != 0) {
    throw RuntimeError(fmt::format("linear layer input of {} floats is not a whole number of rows of {}",
                                   input.size(), input_size_));
  }
  return std::int64_t(input.size()) / input_size_;
}

std::span<const float> Linear::forward(std::span<const float> input, bool training) {
  const std::int64_t row_count = rows(input);
  output_.resize(std::size_t(row_count * output_size_));
  input_adjoint_.resize(input.size());
  // All rows as one step of a batch: one GEMM.
  ForwardArgs call{1, row_count, {input}, {}, {output_}, {}};
  if (training) {
    cell_.forward_training(call);
  } else {
    cell_.forward_inference(call);
  }
  return output_;
}

std::span<const float> Linear::backward(std::span<const float> output_adjoint) {
  if (output_adjoint.size() != output_.size()) {
    throw RuntimeError(fmt::format("linear layer output adjoint has {} floats, expected {}", output_adjoint.size(),
                                   output_.size()));
  }
  cell_.backward({{output_adjoint}, {}, {input_adjoint_}, {}});
  return input_adjoint_;
}

std::vector<TrainableTensor> Linear::parameters(const std::string& prefix) {
  return {{prefix + "weight", cell_.parameter(0), cell_.gradient(0)},
          {prefix + "bias", cell_.parameter(1), cell_.gradient(1)}};
}

void Linear::initialize(WeightInit init, Rng& rng) {
  if (init == WeightInit::pytorch_default) {
    init_uniform(cell_.parameter(0), linear_default_bound(input_size_), rng);
    init_uniform(cell_.parameter(1), linear_default_bound(input_size_), rng);
  } else {
    init_xavier_uniform(cell_.parameter(0), input_size_, output_size_, rng);
    std::ranges::fill(cell_.parameter(1), 0.0f);
  }
}

}  // namespace rnnc
