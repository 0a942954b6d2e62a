#include "torch_peer.h"

#include <stdexcept>
#include <string>
#include <tuple>

#include <torch/torch.h>

#include "torch_layernorm_lstm.h"

namespace rnnc::bench {

void torch_use_one_thread() { torch::set_num_threads(1); }

bool TorchPeer::supports(CellKind cell) {
  return cell == CellKind::Rnn || cell == CellKind::Lstm || cell == CellKind::Gru || cell == CellKind::LayernormLstm;
}

struct TorchPeer::Impl {
  CellKind cell;
  Pass pass;
  torch::nn::RNN rnn{nullptr};
  torch::nn::LSTM lstm{nullptr};
  torch::nn::GRU gru{nullptr};
  LayernormLstm layernorm_lstm{nullptr};
  torch::Tensor x, h0, c0, dy;

  // The output of every step, [T][B][H].
  torch::Tensor forward() {
    switch (cell) {
      case CellKind::Rnn: return std::get<0>(rnn->forward(x, h0));
      case CellKind::Lstm: return std::get<0>(lstm->forward(x, std::make_tuple(h0, c0)));
      case CellKind::LayernormLstm: return layernorm_lstm->forward(x, h0[0], c0[0]);
      default: return std::get<0>(gru->forward(x, h0));
    }
  }
};

TorchPeer::TorchPeer(CellKind cell, Pass pass, const Shape& shape) : impl_(std::make_unique<Impl>()) {
  if (!supports(cell)) throw std::invalid_argument("no libtorch peer for " + std::string(cell_name(cell)));
  Impl& d = *impl_;
  d.cell = cell;
  d.pass = pass;
  const std::int64_t T = shape.steps, B = shape.batch, I = shape.input, H = shape.hidden;
  torch::manual_seed(5);
  // Parameters start as torch's defaults (weights uniform in ±1/sqrt(H)).
  switch (cell) {
    case CellKind::Rnn: d.rnn = torch::nn::RNN(torch::nn::RNNOptions(I, H).nonlinearity(torch::kTanh)); break;
    case CellKind::Lstm: d.lstm = torch::nn::LSTM(torch::nn::LSTMOptions(I, H)); break;
    case CellKind::LayernormLstm: d.layernorm_lstm = LayernormLstm(I, H); break;
    default: d.gru = torch::nn::GRU(torch::nn::GRUOptions(I, H)); break;
  }
  const bool training = pass != Pass::ForwardInference;
  const bool gradients = pass == Pass::ForwardBackward;
  auto random = [](torch::IntArrayRef sizes) { return torch::rand(sizes) * 2 - 1; };
  d.x = random({T, B, I}).requires_grad_(gradients);
  d.h0 = random({1, B, H}).requires_grad_(gradients);
  d.c0 = random({1, B, H}).requires_grad_(gradients);
  if (gradients) d.dy = random({T, B, H});
  if (d.rnn) d.rnn->train(training);
  if (d.lstm) d.lstm->train(training);
  if (d.gru) d.gru->train(training);
  if (d.layernorm_lstm) d.layernorm_lstm->train(training);
}

TorchPeer::~TorchPeer() = default;

void TorchPeer::run() {
  Impl& d = *impl_;
  switch (d.pass) {
    case Pass::ForwardInference: {
      torch::NoGradGuard no_gradients;
      d.forward();
      break;
    }
    case Pass::ForwardTraining: d.forward(); break;
    case Pass::ForwardBackward: d.forward().backward(d.dy); break;
  }
}

}  // namespace rnnc::bench
