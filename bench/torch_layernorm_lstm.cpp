#include "torch_layernorm_lstm.h"

#include <cmath>
#include <vector>

namespace rnnc::bench {

LayernormLstmImpl::LayernormLstmImpl(std::int64_t input, std::int64_t hidden) {
  const double scale = 1.0 / std::sqrt(double(hidden));
  W_x = register_parameter("W_x", torch::empty({4 * hidden, input}).uniform_(-scale, scale));
  W_h = register_parameter("W_h", torch::empty({4 * hidden, hidden}).uniform_(-scale, scale));
  // eps = 1e-5 and the biased variance, as in the cell.
  norm_x = register_module("norm_x", torch::nn::LayerNorm(torch::nn::LayerNormOptions({4 * hidden})));
  norm_h = register_module("norm_h", torch::nn::LayerNorm(torch::nn::LayerNormOptions({4 * hidden})));
  norm_c = register_module("norm_c", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})));
}

torch::Tensor LayernormLstmImpl::forward(const torch::Tensor& x, torch::Tensor h, torch::Tensor c) {
  // The input projection and its layer norm do not depend on the state:
  // one product and one norm over all T·B rows.
  const torch::Tensor normalized_inputs = norm_x(torch::matmul(x, W_x.t()));
  std::vector<torch::Tensor> outputs;
  outputs.reserve(std::size_t(x.size(0)));
  for (std::int64_t t = 0; t < x.size(0); ++t) {
    const torch::Tensor z = normalized_inputs[t] + norm_h(torch::mm(h, W_h.t()));
    const std::vector<torch::Tensor> gates = z.chunk(4, 1);  // i, f, g, o
    c = torch::sigmoid(gates[1]) * c + torch::sigmoid(gates[0]) * torch::tanh(gates[2]);
    h = torch::sigmoid(gates[3]) * torch::tanh(norm_c(c));
    outputs.push_back(h);
  }
  return torch::stack(outputs);
}

}  // namespace rnnc::bench
