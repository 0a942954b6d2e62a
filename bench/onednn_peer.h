// oneDNN 2.6 as a benchmark peer: one layer, one direction, f32, CPU
// engine. Everything but execution (primitive descriptors, primitives,
// memories, weight reorders into the layouts the primitives choose) is done
// once in the constructor, so run() times only what oneDNN does per call.
//
// Unlike tests/support/onednn_rnn (an oracle that converts values between
// rnnc's and oneDNN's layouts and gate orders on every call), this peer
// fills oneDNN's tensors with random data directly: a benchmark needs
// realistic values, not the same values as rnnc.
#pragma once

#include <memory>
#include <string>

#include "problem.h"

namespace rnnc::bench {

// Limits oneDNN's OpenMP runtime to the calling thread (see onednn_peer.cpp).
void onednn_use_one_thread();
// The number of threads oneDNN's OpenMP runtime would use now; 0 when none
// is loaded.
int onednn_max_threads();
// "MAJOR.MINOR.PATCH (commit HASH, CPU runtime)".
std::string onednn_version();

class OnednnPeer {
 public:
  // The cells oneDNN has: all but layernorm_lstm.
  static bool supports(CellKind cell);

  // fwd-infer runs forward_inference; fwd-train forward_training; fwd+bwd
  // forward_training, then backward (loss adjoint of every output random,
  // of the final states zero). Throws dnnl::error when oneDNN rejects it.
  OnednnPeer(CellKind cell, Pass pass, const Shape& shape);
  ~OnednnPeer();
  OnednnPeer(const OnednnPeer&) = delete;
  OnednnPeer& operator=(const OnednnPeer&) = delete;

  // One pass over the whole sequence; returns when it has finished.
  void run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rnnc::bench
