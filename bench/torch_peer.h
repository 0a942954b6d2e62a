// libtorch as a benchmark peer, built only when CMake finds Torch
// (find_package(Torch); Debian's libtorch-dev, not in .ci/install-deps.sh).
// torch::nn::RNN, LSTM and GRU, one layer, and layernorm_lstm as a module
// of torch ops (torch_layernorm_lstm.h); f32, CPU, time-major. Modules,
// data and the loss adjoint are made once in the constructor.
#pragma once

#include <memory>

#include "problem.h"

namespace rnnc::bench {

// torch::set_num_threads(1).
void torch_use_one_thread();

class TorchPeer {
 public:
  // rnn (tanh), lstm, gru (torch's GRU is the linear-before-reset form of
  // gru.cell) and layernorm_lstm.
  static bool supports(CellKind cell);

  // fwd-infer: forward under NoGradGuard, module in eval mode. fwd-train:
  // forward with autograd recording (what backward needs). fwd+bwd: that
  // forward, then backward from a random adjoint of every output, with the
  // input and initial states requiring gradients; gradients accumulate.
  TorchPeer(CellKind cell, Pass pass, const Shape& shape);
  ~TorchPeer();
  TorchPeer(const TorchPeer&) = delete;
  TorchPeer& operator=(const TorchPeer&) = delete;

  void run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rnnc::bench
