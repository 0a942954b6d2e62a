#include "onednn_peer.h"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

#include <dlfcn.h>
#include <oneapi/dnnl/dnnl.hpp>

namespace rnnc::bench {

// oneDNN 2.6 as Debian builds it uses GNU OpenMP and has no call of its own
// to limit its threads. The benchmark does not link OpenMP itself, so this
// calls the runtime's omp_set_num_threads where oneDNN loaded one (as
// tests/support/onednn_rnn.cpp does); with another threading runtime it does
// nothing, and onednn_max_threads() says so.
void onednn_use_one_thread() {
  using SetNumThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetNumThreads>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"))) set(1);
}

int onednn_max_threads() {
  using GetMaxThreads = int (*)();
  auto get = reinterpret_cast<GetMaxThreads>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
  return get ? get() : 0;
}

std::string onednn_version() {
  const dnnl_version_t* version = dnnl::version();
  std::string runtime = version->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other";
  return std::to_string(version->major) + "." + std::to_string(version->minor) + "." + std::to_string(version->patch) +
         " (commit " + version->hash + ", CPU runtime " + runtime + ")";
}

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using Args = std::unordered_map<int, memory>;

constexpr auto direction = dnnl::rnn_direction::unidirectional_left2right;

dnnl::algorithm algorithm_of(CellKind cell) {
  switch (cell) {
    case CellKind::Rnn: return dnnl::algorithm::vanilla_rnn;
    case CellKind::Lstm: return dnnl::algorithm::vanilla_lstm;
    case CellKind::Gru: return dnnl::algorithm::lbr_gru;
    case CellKind::GruClassic: return dnnl::algorithm::vanilla_gru;
    case CellKind::LayernormLstm: break;
  }
  throw std::invalid_argument("oneDNN has no " + std::string(cell_name(cell)) + " cell");
}

}  // namespace

bool OnednnPeer::supports(CellKind cell) { return cell != CellKind::LayernormLstm; }

struct OnednnPeer::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  RandomFill fill{2024};
  dnnl::primitive forward, backward;
  Args forward_args, backward_args;
  bool has_backward = false;

  // A memory of layout `wanted` holding random values in ±scale, drawn in
  // the plain layout `tag` and reordered (padding stays zero).
  memory random(const memory::desc& wanted, Tag tag, float scale) {
    const memory::desc plain(wanted.dims(), memory::data_type::f32, tag);
    memory user(plain, engine);
    fill(std::span<float>(static_cast<float*>(user.get_data_handle()), plain.get_size() / sizeof(float)), scale);
    return converted(user, wanted);
  }

  memory converted(memory user, const memory::desc& wanted) {
    if (user.get_desc() == wanted) return user;
    memory result = zeros(wanted);
    dnnl::reorder(user, result).execute(stream, user, result);
    stream.wait();
    return result;
  }

  memory zeros(const memory::desc& desc) {
    memory zeroed(desc, engine);
    std::memset(zeroed.get_data_handle(), 0, desc.get_size());
    return zeroed;
  }

};

OnednnPeer::OnednnPeer(CellKind cell, Pass pass, const Shape& shape) : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  const dnnl::algorithm algorithm = algorithm_of(cell);
  const bool lstm = cell == CellKind::Lstm;
  const bool training = pass != Pass::ForwardInference;
  d.has_backward = pass == Pass::ForwardBackward;

  const memory::dim T = shape.steps, B = shape.batch, I = shape.input, H = shape.hidden, G = gate_count(cell);
  const memory::dim bias_gates = cell == CellKind::Gru ? G + 1 : G;  // lbr_gru keeps b_hh of the candidate apart
  auto f32 = [](const memory::dims& dims, Tag tag) { return memory::desc(dims, memory::data_type::f32, tag); };
  // Activations and states in the plain layouts a caller has; weights as
  // Tag::any so that each primitive picks its fastest (packed) layout.
  const memory::desc layer_in = f32({T, B, I}, Tag::tnc), layer_out = f32({T, B, H}, Tag::tnc);
  const memory::desc state = f32({1, 1, B, H}, Tag::ldnc);
  const memory::desc weights_layer = f32({1, 1, I, G, H}, Tag::any);
  const memory::desc weights_iter = f32({1, 1, H, G, H}, Tag::any);
  const memory::desc bias = f32({1, 1, bias_gates, H}, Tag::ldgo);
  const auto forward_kind = training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  constexpr auto backward_kind = dnnl::prop_kind::backward;

  // The forward and backward primitive descriptors of each cell.
  dnnl::rnn_primitive_desc_base forward_pd, backward_pd;
  // Both GRUs take the same arguments; only their primitive types differ.
  auto gru = [&]<class Forward, class Backward>() {
    typename Forward::primitive_desc pd(
        {forward_kind, direction, layer_in, state, weights_layer, weights_iter, bias, layer_out, state}, d.engine);
    forward_pd = pd;
    if (d.has_backward)
      backward_pd = typename Backward::primitive_desc({backward_kind, direction, layer_in, state, weights_layer,
                                                       weights_iter, bias, layer_out, state, layer_in, state,
                                                       weights_layer, weights_iter, bias, layer_out, state},
                                                      d.engine, pd);
  };
  switch (algorithm) {
    case dnnl::algorithm::vanilla_rnn: {
      constexpr auto tanh = dnnl::algorithm::eltwise_tanh;
      dnnl::vanilla_rnn_forward::primitive_desc pd({forward_kind, tanh, direction, layer_in, state, weights_layer,
                                                    weights_iter, bias, layer_out, state},
                                                   d.engine);
      forward_pd = pd;
      if (d.has_backward)
        backward_pd = dnnl::vanilla_rnn_backward::primitive_desc(
            {backward_kind, tanh, direction, layer_in, state, weights_layer, weights_iter, bias, layer_out, state,
             layer_in, state, weights_layer, weights_iter, bias, layer_out, state},
            d.engine, pd);
      break;
    }
    case dnnl::algorithm::vanilla_lstm: {
      dnnl::lstm_forward::primitive_desc pd({forward_kind, direction, layer_in, state, state, weights_layer,
                                             weights_iter, bias, layer_out, state, state},
                                            d.engine);
      forward_pd = pd;
      if (d.has_backward)
        backward_pd = dnnl::lstm_backward::primitive_desc(
            {backward_kind, direction, layer_in, state, state, weights_layer, weights_iter, bias, layer_out, state,
             state, layer_in, state, state, weights_layer, weights_iter, bias, layer_out, state, state},
            d.engine, pd);
      break;
    }
    case dnnl::algorithm::lbr_gru: gru.template operator()<dnnl::lbr_gru_forward, dnnl::lbr_gru_backward>(); break;
    default: gru.template operator()<dnnl::gru_forward, dnnl::gru_backward>(); break;  // vanilla_gru
  }

  // Weights drawn once in the plain layouts, reordered into the layout each
  // primitive chose: here, not in run().
  const float scale = 1.0f / std::sqrt(float(H));
  const memory plain_layer = d.random(f32({1, 1, I, G, H}, Tag::ldigo), Tag::ldigo, scale);
  const memory plain_iter = d.random(f32({1, 1, H, G, H}, Tag::ldigo), Tag::ldigo, scale);

  Args& f = d.forward_args;
  f[DNNL_ARG_SRC_LAYER] = d.random(forward_pd.src_layer_desc(), Tag::tnc, 1.0f);
  f[DNNL_ARG_SRC_ITER] = d.random(forward_pd.src_iter_desc(), Tag::ldnc, 1.0f);
  f[DNNL_ARG_WEIGHTS_LAYER] = d.converted(plain_layer, forward_pd.weights_layer_desc());
  f[DNNL_ARG_WEIGHTS_ITER] = d.converted(plain_iter, forward_pd.weights_iter_desc());
  f[DNNL_ARG_BIAS] = d.random(forward_pd.bias_desc(), Tag::ldgo, scale);
  f[DNNL_ARG_DST_LAYER] = d.zeros(forward_pd.dst_layer_desc());
  f[DNNL_ARG_DST_ITER] = d.zeros(forward_pd.dst_iter_desc());
  if (lstm) {
    f[DNNL_ARG_SRC_ITER_C] = d.random(forward_pd.src_iter_c_desc(), Tag::ldnc, 1.0f);
    f[DNNL_ARG_DST_ITER_C] = d.zeros(forward_pd.dst_iter_c_desc());
  }
  if (forward_pd.workspace_desc().get_size() > 0) f[DNNL_ARG_WORKSPACE] = d.zeros(forward_pd.workspace_desc());
  d.forward = dnnl::primitive(forward_pd);

  if (d.has_backward) {
    // The forward pass's sources, results and workspace (plain layouts,
    // which the backward descriptor names too), weights in the backward
    // primitive's own layouts, the loss adjoint of every output random and
    // of the final states zero. Weight gradients accumulate, as in rnnc.
    Args& b = d.backward_args;
    for (int arg : {DNNL_ARG_SRC_LAYER, DNNL_ARG_SRC_ITER, DNNL_ARG_BIAS, DNNL_ARG_DST_LAYER, DNNL_ARG_DST_ITER,
                    DNNL_ARG_WORKSPACE})
      b[arg] = f.at(arg);
    b[DNNL_ARG_WEIGHTS_LAYER] = d.converted(plain_layer, backward_pd.weights_layer_desc());
    b[DNNL_ARG_WEIGHTS_ITER] = d.converted(plain_iter, backward_pd.weights_iter_desc());
    b[DNNL_ARG_DIFF_DST_LAYER] = d.random(backward_pd.diff_dst_layer_desc(), Tag::tnc, 1.0f);
    b[DNNL_ARG_DIFF_DST_ITER] = d.zeros(backward_pd.diff_dst_iter_desc());
    b[DNNL_ARG_DIFF_SRC_LAYER] = d.zeros(backward_pd.diff_src_layer_desc());
    b[DNNL_ARG_DIFF_SRC_ITER] = d.zeros(backward_pd.diff_src_iter_desc());
    b[DNNL_ARG_DIFF_WEIGHTS_LAYER] = d.zeros(backward_pd.diff_weights_layer_desc());
    b[DNNL_ARG_DIFF_WEIGHTS_ITER] = d.zeros(backward_pd.diff_weights_iter_desc());
    b[DNNL_ARG_DIFF_BIAS] = d.zeros(backward_pd.diff_bias_desc());
    if (lstm) {
      b[DNNL_ARG_SRC_ITER_C] = f.at(DNNL_ARG_SRC_ITER_C);
      b[DNNL_ARG_DST_ITER_C] = f.at(DNNL_ARG_DST_ITER_C);
      b[DNNL_ARG_DIFF_DST_ITER_C] = d.zeros(backward_pd.diff_dst_iter_c_desc());
      b[DNNL_ARG_DIFF_SRC_ITER_C] = d.zeros(backward_pd.diff_src_iter_c_desc());
    }
    d.backward = dnnl::primitive(backward_pd);
  }
}

OnednnPeer::~OnednnPeer() = default;

void OnednnPeer::run() {
  Impl& d = *impl_;
  d.forward.execute(d.stream, d.forward_args);
  if (d.has_backward) d.backward.execute(d.stream, d.backward_args);
  d.stream.wait();
}

}  // namespace rnnc::bench
