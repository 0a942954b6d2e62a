// dsl/layernorm_lstm.cell written with torch ops, as a PyTorch user would
// (cf. LayerNormLSTMCell in PyTorch's benchmarks/fastrnns/custom_lstms.py,
// which differs in keeping the normalized cell state): parameters of a
// torch::nn::Module, a loop over the steps, autograd for the backward.
// Parameters and LayerNorms use torch's defaults: weights uniform in
// ±1/sqrt(H) as in torch::nn::LSTM, gains one and biases zero.
#pragma once

#include <cstdint>

#include <torch/torch.h>

namespace rnnc::bench {

class LayernormLstmImpl : public torch::nn::Module {
 public:
  LayernormLstmImpl(std::int64_t input, std::int64_t hidden);

  // x [T][B][I], the initial states h and c [B][H]; returns the output of
  // every step, [T][B][H].
  torch::Tensor forward(const torch::Tensor& x, torch::Tensor h, torch::Tensor c);

  // The cell's parameters: W_x and W_h; the gains and biases g_x, b_x,
  // g_h, b_h, g_c, b_c are the weights and biases of norm_x, norm_h, norm_c.
  torch::Tensor W_x, W_h;
  torch::nn::LayerNorm norm_x{nullptr}, norm_h{nullptr}, norm_c{nullptr};
};
TORCH_MODULE(LayernormLstm);

}  // namespace rnnc::bench
