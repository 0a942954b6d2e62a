// oneDNN 2.6 as an external oracle for the standard cells in dsl/: runs a
// one-layer, one-direction, f32 RNN forward, and forward training plus
// backward, on the CPU engine. Data goes in and comes out in the reference
// interpreter's layouts (rnnc/interpreter.h, rnnc/bptt.h), with parameters
// and their gradients named as the .cell files declare them; onednn_rnn.cpp
// holds every conversion to and from oneDNN's layouts and gate orders.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace rnnc::testing {

// The cells of dsl/ that oneDNN implements, with the algorithm that does.
enum class OnednnCell {
  Rnn,             // rnn.cell: vanilla_rnn, eltwise_tanh
  RnnRelu,         // rnn_relu.cell: vanilla_rnn, eltwise_relu with alpha = 0
  Lstm,            // lstm.cell: vanilla_lstm
  PeepholeLstm,    // peephole_lstm.cell: vanilla_lstm with peephole weights
  LstmProjection,  // lstm_projection.cell: vanilla_lstm with projection weights
  Gru,             // gru.cell: lbr_gru
  GruClassic,      // gru_classic.cell: vanilla_gru
};

struct RnnSizes {
  int steps = 1;       // T
  int batch = 1;       // B
  int input = 1;       // I: width of x
  int hidden = 1;      // H: width of each gate and of the cell state c
  int projection = 0;  // P: width of h for LstmProjection; 0 for the others

  // Width of the recurrent state h and of the output y.
  int state_width() const { return projection > 0 ? projection : hidden; }
};

// Tensors keyed by the cell's symbol names, each in rnnc's layout.
using NamedTensors = std::map<std::string, std::vector<float>>;

// Every member has an initializer, so designated initializers may leave any
// of them out without -Wmissing-field-initializers warnings.
struct RnnProblem {
  OnednnCell cell = OnednnCell::Rnn;
  RnnSizes sizes{};
  std::vector<float> x{};         // the input, [T][B][I]
  NamedTensors initial_states{};  // "h" [B][state_width], and "c" [B][H] for LSTMs
  NamedTensors params{};          // every parameter the cell declares, by name
};

struct RnnForwardResult {
  std::vector<float> y{};       // the output of every step, [T][B][state_width]
  NamedTensors final_states{};  // the states after step T, as in RnnProblem
};

// The adjoints of the loss flowing into the sequence: oneDNN's diff_dst_*.
struct RnnLossAdjoints {
  std::vector<float> y{};       // diff_dst_layer: of every step's output, [T][B][state_width]
  NamedTensors final_states{};  // diff_dst_iter "h" and diff_dst_iter_c "c", as RnnProblem's states
};

struct RnnGradients {
  RnnForwardResult forward{};     // what the forward_training pass computed
  std::vector<float> x{};         // diff_src_layer, [T][B][I]
  NamedTensors initial_states{};  // diff_src_iter "h" and diff_src_iter_c "c"
  // The gradient of every parameter the cell declares, by name, in the
  // parameter's layout, summed over time and batch: diff_weights_*, diff_bias
  // taken apart as the parameters were put together.
  NamedTensors params{};
};

// Throws std::invalid_argument when a tensor is missing or has the wrong
// size, and dnnl::error when oneDNN rejects the problem.
RnnForwardResult run_onednn_forward(const RnnProblem& problem);

// Full backpropagation through time: forward_training, then the cell's
// *_backward primitive. Throws as run_onednn_forward does.
RnnGradients run_onednn_backward(const RnnProblem& problem, const RnnLossAdjoints& loss);

}  // namespace rnnc::testing
