#include "support/onednn_rnn.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>

#include <dlfcn.h>
#include <oneapi/dnnl/dnnl.hpp>

namespace rnnc::testing {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;

constexpr auto direction = dnnl::rnn_direction::unidirectional_left2right;

// ---------------------------------------------------------------------------
// Layout and gate-order conversions between rnnc and oneDNN, each next to its
// inverse. Inputs, outputs and states, and their gradients, need none: rnnc's
// [T][B][C] is oneDNN's tnc, and rnnc's [B][C] is oneDNN's ldnc with L = D = 1.

// rnnc matrix [rows][cols], row-major (output x input, as PyTorch stores
// weights) -> oneDNN [cols][rows]. For gate weights, rows = G*H and the result
// is ldigo [1][1][cols][G][H]; for the projection W_proj [P][H] it is
// ldio [1][1][H][P].
std::vector<float> matrix_to_onednn(const std::vector<float>& matrix, std::size_t rows, std::size_t cols) {
  std::vector<float> transposed(matrix.size());
  for (std::size_t row = 0; row < rows; ++row)
    for (std::size_t col = 0; col < cols; ++col) transposed[col * rows + row] = matrix[row * cols + col];
  return transposed;
}

// oneDNN [cols][rows] -> rnnc matrix [rows][cols]: the inverse of
// matrix_to_onednn, which is a transposition, so it transposes back.
std::vector<float> matrix_from_onednn(const std::vector<float>& transposed, std::size_t rows, std::size_t cols) {
  return matrix_to_onednn(transposed, cols, rows);
}

// rnnc tensor made of G gate blocks in the cell's gate order (a [G*H][cols]
// matrix or a [G*H] bias) -> the same layout with the blocks in oneDNN's gate
// order, where oneDNN gate g is the cell's gate sources[g].
std::vector<float> gates_to_onednn_order(const std::vector<float>& tensor, std::span<const std::size_t> sources) {
  const std::size_t block = tensor.size() / sources.size();
  std::vector<float> reordered;
  reordered.reserve(tensor.size());
  for (std::size_t source : sources) {
    auto begin = tensor.begin() + static_cast<std::ptrdiff_t>(source * block);
    reordered.insert(reordered.end(), begin, begin + static_cast<std::ptrdiff_t>(block));
  }
  return reordered;
}

// The inverse of gates_to_onednn_order: oneDNN gate g goes back to the
// cell's gate sources[g].
std::vector<float> gates_from_onednn_order(const std::vector<float>& tensor, std::span<const std::size_t> sources) {
  const std::size_t block = tensor.size() / sources.size();
  std::vector<float> reordered(tensor.size());
  for (std::size_t gate = 0; gate < sources.size(); ++gate) {
    auto begin = tensor.begin() + static_cast<std::ptrdiff_t>(gate * block);
    std::copy(begin, begin + static_cast<std::ptrdiff_t>(block),
              reordered.begin() + static_cast<std::ptrdiff_t>(sources[gate] * block));
  }
  return reordered;
}

// oneDNN's GRU gates are (u, r, o); gru.cell has PyTorch's (r, z, n), where
// z is the update gate u and n the candidate o.
constexpr std::array<std::size_t, 3> gru_gate_sources = {1, 0, 2};

// ---------------------------------------------------------------------------
// The cells' parameters as oneDNN's weights, and oneDNN's weight gradients as
// the parameters' gradients.

// One layer's weights in oneDNN's gate order and layouts (L = D = 1).
struct OnednnWeights {
  std::vector<float> layer{};       // ldigo [1][1][I][G][H]
  std::vector<float> iter{};        // ldigo [1][1][state_width][G][H]
  std::vector<float> bias{};        // ldgo [1][1][G][H]; lbr_gru has G + 1 gates
  std::vector<float> peephole{};    // ldgo [1][1][3][H], gates (i, f, o); empty when unused
  std::vector<float> projection{};  // ldio [1][1][H][P]; empty when unused
};

int gate_count(OnednnCell cell) {
  switch (cell) {
    case OnednnCell::Rnn:
    case OnednnCell::RnnRelu:
      return 1;
    case OnednnCell::Gru:
    case OnednnCell::GruClassic:
      return 3;
    case OnednnCell::Lstm:
    case OnednnCell::PeepholeLstm:
    case OnednnCell::LstmProjection:
      return 4;
  }
  throw std::invalid_argument("oneDNN oracle: unknown cell");
}

// lbr_gru keeps the candidate's recurrent bias apart, as a fourth gate.
int bias_gate_count(OnednnCell cell) { return cell == OnednnCell::Gru ? 4 : gate_count(cell); }

bool has_cell_state(OnednnCell cell) {
  return cell == OnednnCell::Lstm || cell == OnednnCell::PeepholeLstm || cell == OnednnCell::LstmProjection;
}

const std::vector<float>& named_tensor(const NamedTensors& tensors, const std::string& name, std::size_t size) {
  auto found = tensors.find(name);
  if (found == tensors.end()) throw std::invalid_argument("oneDNN oracle: no tensor named " + name);
  if (found->second.size() != size)
    throw std::invalid_argument("oneDNN oracle: " + name + " has " + std::to_string(found->second.size()) +
                                " values, expected " + std::to_string(size));
  return found->second;
}

std::vector<float> concat(std::initializer_list<std::span<const float>> parts) {
  std::vector<float> joined;
  for (std::span<const float> part : parts) joined.insert(joined.end(), part.begin(), part.end());
  return joined;
}

std::vector<float> sum(std::span<const float> a, std::span<const float> b) {
  std::vector<float> total(a.size());
  std::transform(a.begin(), a.end(), b.begin(), total.begin(), std::plus<>());
  return total;
}

// `count` values of `tensor` from `first` on.
std::vector<float> slice(std::span<const float> tensor, std::size_t first, std::size_t count) {
  std::span<const float> part = tensor.subspan(first, count);
  return {part.begin(), part.end()};
}

OnednnWeights onednn_weights(const RnnProblem& problem) {
  const std::size_t I = static_cast<std::size_t>(problem.sizes.input);
  const std::size_t H = static_cast<std::size_t>(problem.sizes.hidden);
  const std::size_t P = static_cast<std::size_t>(problem.sizes.projection);
  auto param = [&](const std::string& name, std::size_t size) -> const std::vector<float>& {
    return named_tensor(problem.params, name, size);
  };
  switch (problem.cell) {
    case OnednnCell::Rnn:
    case OnednnCell::RnnRelu:
      return {.layer = matrix_to_onednn(param("W_xh", H * I), H, I),
              .iter = matrix_to_onednn(param("W_hh", H * H), H, H),
              .bias = param("b", H)};
    case OnednnCell::Lstm:
      // oneDNN has one bias; PyTorch's two only ever appear summed.
      return {.layer = matrix_to_onednn(param("W_ih", 4 * H * I), 4 * H, I),
              .iter = matrix_to_onednn(param("W_hh", 4 * H * H), 4 * H, H),
              .bias = sum(param("b_ih", 4 * H), param("b_hh", 4 * H))};
    case OnednnCell::PeepholeLstm:
      return {.layer = matrix_to_onednn(param("W", 4 * H * I), 4 * H, I),
              .iter = matrix_to_onednn(param("U", 4 * H * H), 4 * H, H),
              .bias = param("b", 4 * H),
              .peephole = concat({param("p_i", H), param("p_f", H), param("p_o", H)})};
    case OnednnCell::LstmProjection:
      return {.layer = matrix_to_onednn(param("W", 4 * H * I), 4 * H, I),
              .iter = matrix_to_onednn(param("U", 4 * H * P), 4 * H, P),
              .bias = param("b", 4 * H),
              .projection = matrix_to_onednn(param("W_proj", P * H), P, H)};
    case OnednnCell::Gru: {
      const std::vector<float> b_ih = gates_to_onednn_order(param("b_ih", 3 * H), gru_gate_sources);
      const std::vector<float> b_hh = gates_to_onednn_order(param("b_hh", 3 * H), gru_gate_sources);
      const std::span<const float> ih(b_ih), hh(b_hh);
      // Gates u and r see the sum of both biases; the candidate's input part
      // b_ih_n and recurrent part b_hh_n stay apart, as the reset gate scales
      // only the latter.
      return {.layer = matrix_to_onednn(gates_to_onednn_order(param("W_ih", 3 * H * I), gru_gate_sources), 3 * H, I),
              .iter = matrix_to_onednn(gates_to_onednn_order(param("W_hh", 3 * H * H), gru_gate_sources), 3 * H, H),
              .bias = concat({sum(ih.first(2 * H), hh.first(2 * H)), ih.subspan(2 * H), hh.subspan(2 * H)})};
    }
    case OnednnCell::GruClassic:
      // The cell's gates (u, r) and candidate n are already oneDNN's (u, r, o).
      return {.layer = matrix_to_onednn(concat({param("W_ur", 2 * H * I), param("W_n", H * I)}), 3 * H, I),
              .iter = matrix_to_onednn(concat({param("U_ur", 2 * H * H), param("U_n", H * H)}), 3 * H, H),
              .bias = concat({param("b_ur", 2 * H), param("b_n", H)})};
  }
  throw std::invalid_argument("oneDNN oracle: unknown cell");
}

// The inverse of onednn_weights for gradients, case by case: `diff` holds
// oneDNN's diff_weights_* and diff_bias in the layouts of OnednnWeights. A
// parameter that onednn_weights adds into a oneDNN tensor gets that tensor's
// whole gradient.
NamedTensors param_gradients(OnednnCell cell, const RnnSizes& sizes, const OnednnWeights& diff) {
  const std::size_t I = static_cast<std::size_t>(sizes.input);
  const std::size_t H = static_cast<std::size_t>(sizes.hidden);
  const std::size_t P = static_cast<std::size_t>(sizes.projection);
  switch (cell) {
    case OnednnCell::Rnn:
    case OnednnCell::RnnRelu:
      return {{"W_xh", matrix_from_onednn(diff.layer, H, I)},
              {"W_hh", matrix_from_onednn(diff.iter, H, H)},
              {"b", diff.bias}};
    case OnednnCell::Lstm:
      // bias = b_ih + b_hh.
      return {{"W_ih", matrix_from_onednn(diff.layer, 4 * H, I)},
              {"W_hh", matrix_from_onednn(diff.iter, 4 * H, H)},
              {"b_ih", diff.bias},
              {"b_hh", diff.bias}};
    case OnednnCell::PeepholeLstm:
      return {{"W", matrix_from_onednn(diff.layer, 4 * H, I)},
              {"U", matrix_from_onednn(diff.iter, 4 * H, H)},
              {"b", diff.bias},
              {"p_i", slice(diff.peephole, 0, H)},
              {"p_f", slice(diff.peephole, H, H)},
              {"p_o", slice(diff.peephole, 2 * H, H)}};
    case OnednnCell::LstmProjection:
      return {{"W", matrix_from_onednn(diff.layer, 4 * H, I)},
              {"U", matrix_from_onednn(diff.iter, 4 * H, P)},
              {"b", diff.bias},
              {"W_proj", matrix_from_onednn(diff.projection, P, H)}};
    case OnednnCell::Gru: {
      // Bias gates (u, r, o, o'): u and r are sums of both biases' parts, so
      // both get their gradient; o is b_ih_n alone and o' b_hh_n alone.
      const std::span<const float> bias(diff.bias);
      const std::span<const float> ur = bias.first(2 * H);
      return {{"W_ih", gates_from_onednn_order(matrix_from_onednn(diff.layer, 3 * H, I), gru_gate_sources)},
              {"W_hh", gates_from_onednn_order(matrix_from_onednn(diff.iter, 3 * H, H), gru_gate_sources)},
              {"b_ih", gates_from_onednn_order(concat({ur, bias.subspan(2 * H, H)}), gru_gate_sources)},
              {"b_hh", gates_from_onednn_order(concat({ur, bias.subspan(3 * H, H)}), gru_gate_sources)}};
    }
    case OnednnCell::GruClassic: {
      // Gate rows (u, r) then o: the first 2H rows are the *_ur parameters.
      const std::vector<float> layer = matrix_from_onednn(diff.layer, 3 * H, I);
      const std::vector<float> iter = matrix_from_onednn(diff.iter, 3 * H, H);
      return {{"W_ur", slice(layer, 0, 2 * H * I)},
              {"W_n", slice(layer, 2 * H * I, H * I)},
              {"U_ur", slice(iter, 0, 2 * H * H)},
              {"U_n", slice(iter, 2 * H * H, H * H)},
              {"b_ur", slice(diff.bias, 0, 2 * H)},
              {"b_n", slice(diff.bias, 2 * H, H)}};
    }
  }
  throw std::invalid_argument("oneDNN oracle: unknown cell");
}

// ---------------------------------------------------------------------------
// The oneDNN primitives.

struct PrimitiveDescs {
  dnnl::rnn_primitive_desc_base forward;
  dnnl::rnn_primitive_desc_base backward;  // empty for inference
};

// Inference, or training: forward_training, which fills a workspace, and the
// backward primitive that reads it.
PrimitiveDescs primitive_descs(OnednnCell cell, const RnnSizes& sizes, bool training, const dnnl::engine& engine) {
  const memory::dim T = sizes.steps, B = sizes.batch, I = sizes.input, H = sizes.hidden;
  const memory::dim S = sizes.state_width(), G = gate_count(cell);
  const auto propagation = training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  constexpr auto backward = dnnl::prop_kind::backward;
  auto f32 = [](const memory::dims& dims, Tag tag) { return memory::desc(dims, memory::data_type::f32, tag); };
  // Weights and their gradients as Tag::any: each primitive picks its layout
  // and they are reordered to and from it. Every gradient has the descriptor
  // of the tensor it is the gradient of.
  const memory::desc src_layer = f32({T, B, I}, Tag::tnc);
  const memory::desc state = f32({1, 1, B, S}, Tag::ldnc);
  const memory::desc weights_layer = f32({1, 1, I, G, H}, Tag::any);
  const memory::desc weights_iter = f32({1, 1, S, G, H}, Tag::any);
  const memory::desc bias = f32({1, 1, bias_gate_count(cell), H}, Tag::ldgo);
  const memory::desc dst_layer = f32({T, B, S}, Tag::tnc);
  // lbr_gru and vanilla_gru take the same descriptors.
  auto gru = [&]<class Forward, class Backward>(std::type_identity<Forward>,
                                                std::type_identity<Backward>) -> PrimitiveDescs {
    const typename Forward::primitive_desc forward(
        {propagation, direction, src_layer, state, weights_layer, weights_iter, bias, dst_layer, state}, engine);
    if (!training) return {forward, {}};
    return {forward, typename Backward::primitive_desc(
                         {backward, direction, src_layer, state, weights_layer, weights_iter, bias, dst_layer, state,
                          /*diff_src_layer=*/src_layer, state, weights_layer, weights_iter, bias, dst_layer, state},
                         engine, forward)};
  };
  switch (cell) {
    case OnednnCell::Rnn:
    case OnednnCell::RnnRelu: {
      const auto activation = cell == OnednnCell::Rnn ? dnnl::algorithm::eltwise_tanh : dnnl::algorithm::eltwise_relu;
      const dnnl::vanilla_rnn_forward::primitive_desc forward(
          {propagation, activation, direction, src_layer, state, weights_layer, weights_iter, bias, dst_layer, state,
           dnnl::rnn_flags::undef, /*alpha=*/0.0f},
          engine);
      if (!training) return {forward, {}};
      return {forward, dnnl::vanilla_rnn_backward::primitive_desc(
                           {backward, activation, direction, src_layer, state, weights_layer, weights_iter, bias,
                            dst_layer, state, /*diff_src_layer=*/src_layer, state, weights_layer, weights_iter, bias,
                            dst_layer, state, dnnl::rnn_flags::undef, /*alpha=*/0.0f},
                           engine, forward)};
    }
    case OnednnCell::Lstm:
    case OnednnCell::PeepholeLstm:
    case OnednnCell::LstmProjection: {
      const memory::desc cell_state = f32({1, 1, B, H}, Tag::ldnc);
      // A zero memory descriptor leaves the peephole or the projection out.
      const memory::desc peephole = cell == OnednnCell::PeepholeLstm ? f32({1, 1, 3, H}, Tag::ldgo) : memory::desc();
      const memory::desc projection = cell == OnednnCell::LstmProjection ? f32({1, 1, H, S}, Tag::any) : memory::desc();
      const dnnl::lstm_forward::primitive_desc forward(
          {propagation, direction, src_layer, state, cell_state, weights_layer, weights_iter, peephole, projection,
           bias, dst_layer, state, cell_state},
          engine);
      if (!training) return {forward, {}};
      return {forward, dnnl::lstm_backward::primitive_desc(
                           {backward, direction, src_layer, state, cell_state, weights_layer, weights_iter, peephole,
                            projection, bias, dst_layer, state, cell_state, /*diff_src_layer=*/src_layer, state,
                            cell_state, weights_layer, weights_iter, peephole, projection, bias, dst_layer, state,
                            cell_state},
                           engine, forward)};
    }
    case OnednnCell::Gru:
      return gru(std::type_identity<dnnl::lbr_gru_forward>(), std::type_identity<dnnl::lbr_gru_backward>());
    case OnednnCell::GruClassic:
      return gru(std::type_identity<dnnl::gru_forward>(), std::type_identity<dnnl::gru_backward>());
  }
  throw std::invalid_argument("oneDNN oracle: unknown cell");
}

// Runs oneDNN on the calling thread alone. These problems are tiny: an OpenMP
// team only adds barriers, several per step, and each costs a scheduler slice
// when the cores are busy (as under `ctest -j`), which made the backward test
// take seconds; one thread also makes oneDNN's sums over the batch the same
// from run to run. oneDNN 2.6 has no call for this with its OpenMP runtime,
// and the tests do not link OpenMP themselves, so this calls the runtime's
// omp_set_num_threads where oneDNN loaded one; with another runtime it does
// nothing.
void use_one_thread() {
  using SetNumThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetNumThreads>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"))) set(1);
}

class OnednnRunner {
 public:
  OnednnRunner() : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) { use_one_thread(); }

  const dnnl::engine& engine() const { return engine_; }

  // A memory in the primitive's layout `wanted` holding `values`, which are
  // in the plain layout `layout` of the same dimensions.
  memory to_primitive_layout(const std::vector<float>& values, Tag layout, const memory::desc& wanted) {
    const memory::desc plain(wanted.dims(), memory::data_type::f32, layout);
    if (values.size() * sizeof(float) != plain.get_size())
      throw std::logic_error("oneDNN oracle: a converted tensor does not fit its memory descriptor");
    memory user(plain, engine_);
    std::copy(values.begin(), values.end(), static_cast<float*>(user.get_data_handle()));
    if (plain == wanted) return user;
    memory converted(wanted, engine_);
    dnnl::reorder(user, converted).execute(stream_, user, converted);
    return converted;
  }

  // The values of `source` in the plain layout `layout`.
  std::vector<float> from_primitive_layout(memory source, Tag layout) {
    const memory::desc plain(source.get_desc().dims(), memory::data_type::f32, layout);
    memory user = source;
    if (source.get_desc() != plain) {
      user = memory(plain, engine_);
      dnnl::reorder(source, user).execute(stream_, source, user);
    }
    stream_.wait();
    const float* data = static_cast<const float*>(user.get_data_handle());
    return {data, data + plain.get_size() / sizeof(float)};
  }

  // A memory of layout `desc` holding zeros, padding included.
  memory zeros(const memory::desc& desc) {
    memory zeroed(desc, engine_);
    std::fill_n(static_cast<unsigned char*>(zeroed.get_data_handle()), desc.get_size(), 0);
    return zeroed;
  }

  void execute(const dnnl::primitive& primitive, const std::unordered_map<int, memory>& args) {
    primitive.execute(stream_, args);
    stream_.wait();
  }

 private:
  dnnl::engine engine_;
  dnnl::stream stream_;
};

using Args = std::unordered_map<int, memory>;

// What the forward pass reads, in the layouts `pd` (forward or backward)
// wants.
Args source_args(OnednnRunner& runner, const dnnl::rnn_primitive_desc_base& pd, const RnnProblem& problem,
                 const OnednnWeights& weights) {
  const RnnSizes& sizes = problem.sizes;
  const auto T = static_cast<std::size_t>(sizes.steps), B = static_cast<std::size_t>(sizes.batch);
  const auto I = static_cast<std::size_t>(sizes.input), H = static_cast<std::size_t>(sizes.hidden);
  const auto S = static_cast<std::size_t>(sizes.state_width());
  if (problem.x.size() != T * B * I) throw std::invalid_argument("oneDNN oracle: x has the wrong size");
  Args args = {
      {DNNL_ARG_SRC_LAYER, runner.to_primitive_layout(problem.x, Tag::tnc, pd.src_layer_desc())},
      {DNNL_ARG_SRC_ITER,
       runner.to_primitive_layout(named_tensor(problem.initial_states, "h", B * S), Tag::ldnc, pd.src_iter_desc())},
      {DNNL_ARG_WEIGHTS_LAYER, runner.to_primitive_layout(weights.layer, Tag::ldigo, pd.weights_layer_desc())},
      {DNNL_ARG_WEIGHTS_ITER, runner.to_primitive_layout(weights.iter, Tag::ldigo, pd.weights_iter_desc())},
      {DNNL_ARG_BIAS, runner.to_primitive_layout(weights.bias, Tag::ldgo, pd.bias_desc())},
  };
  if (has_cell_state(problem.cell))
    args[DNNL_ARG_SRC_ITER_C] =
        runner.to_primitive_layout(named_tensor(problem.initial_states, "c", B * H), Tag::ldnc, pd.src_iter_c_desc());
  if (!weights.peephole.empty())
    args[DNNL_ARG_WEIGHTS_PEEPHOLE] =
        runner.to_primitive_layout(weights.peephole, Tag::ldgo, pd.weights_peephole_desc());
  if (!weights.projection.empty())
    args[DNNL_ARG_WEIGHTS_PROJECTION] =
        runner.to_primitive_layout(weights.projection, Tag::ldio, pd.weights_projection_desc());
  return args;
}

// Runs the forward primitive of `pd`; a training one also fills the
// workspace, left in `args`.
RnnForwardResult run_forward(OnednnRunner& runner, const dnnl::rnn_primitive_desc_base& pd, OnednnCell cell,
                             Args& args) {
  const bool lstm = has_cell_state(cell);
  args[DNNL_ARG_DST_LAYER] = memory(pd.dst_layer_desc(), runner.engine());
  args[DNNL_ARG_DST_ITER] = memory(pd.dst_iter_desc(), runner.engine());
  if (lstm) args[DNNL_ARG_DST_ITER_C] = memory(pd.dst_iter_c_desc(), runner.engine());
  if (pd.workspace_desc().get_size() > 0) args[DNNL_ARG_WORKSPACE] = memory(pd.workspace_desc(), runner.engine());
  runner.execute(dnnl::primitive(pd), args);

  RnnForwardResult result;
  result.y = runner.from_primitive_layout(args.at(DNNL_ARG_DST_LAYER), Tag::tnc);
  result.final_states["h"] = runner.from_primitive_layout(args.at(DNNL_ARG_DST_ITER), Tag::ldnc);
  if (lstm) result.final_states["c"] = runner.from_primitive_layout(args.at(DNNL_ARG_DST_ITER_C), Tag::ldnc);
  return result;
}

}  // namespace

RnnForwardResult run_onednn_forward(const RnnProblem& problem) {
  const OnednnWeights weights = onednn_weights(problem);
  OnednnRunner runner;
  const PrimitiveDescs pds = primitive_descs(problem.cell, problem.sizes, /*training=*/false, runner.engine());
  Args args = source_args(runner, pds.forward, problem, weights);
  return run_forward(runner, pds.forward, problem.cell, args);
}

RnnGradients run_onednn_backward(const RnnProblem& problem, const RnnLossAdjoints& loss) {
  const RnnSizes& sizes = problem.sizes;
  const auto T = static_cast<std::size_t>(sizes.steps), B = static_cast<std::size_t>(sizes.batch);
  const auto H = static_cast<std::size_t>(sizes.hidden), S = static_cast<std::size_t>(sizes.state_width());
  const bool lstm = has_cell_state(problem.cell);
  if (loss.y.size() != T * B * S) throw std::invalid_argument("oneDNN oracle: the adjoint of y has the wrong size");
  const OnednnWeights weights = onednn_weights(problem);
  OnednnRunner runner;
  const PrimitiveDescs pds = primitive_descs(problem.cell, sizes, /*training=*/true, runner.engine());
  const dnnl::rnn_primitive_desc_base& pd = pds.backward;

  RnnGradients gradients;
  Args forward_args = source_args(runner, pds.forward, problem, weights);
  gradients.forward = run_forward(runner, pds.forward, problem.cell, forward_args);

  // The forward pass's sources, results and workspace, and the loss's
  // adjoints, in the layouts the backward primitive wants.
  Args args = source_args(runner, pd, problem, weights);
  args[DNNL_ARG_DST_LAYER] = runner.to_primitive_layout(gradients.forward.y, Tag::tnc, pd.dst_layer_desc());
  args[DNNL_ARG_DST_ITER] =
      runner.to_primitive_layout(gradients.forward.final_states.at("h"), Tag::ldnc, pd.dst_iter_desc());
  args[DNNL_ARG_WORKSPACE] = forward_args.at(DNNL_ARG_WORKSPACE);
  args[DNNL_ARG_DIFF_DST_LAYER] = runner.to_primitive_layout(loss.y, Tag::tnc, pd.diff_dst_layer_desc());
  args[DNNL_ARG_DIFF_DST_ITER] =
      runner.to_primitive_layout(named_tensor(loss.final_states, "h", B * S), Tag::ldnc, pd.diff_dst_iter_desc());
  args[DNNL_ARG_DIFF_SRC_LAYER] = memory(pd.diff_src_layer_desc(), runner.engine());
  args[DNNL_ARG_DIFF_SRC_ITER] = memory(pd.diff_src_iter_desc(), runner.engine());
  // The backward primitive adds to the weight and bias gradients.
  args[DNNL_ARG_DIFF_WEIGHTS_LAYER] = runner.zeros(pd.diff_weights_layer_desc());
  args[DNNL_ARG_DIFF_WEIGHTS_ITER] = runner.zeros(pd.diff_weights_iter_desc());
  args[DNNL_ARG_DIFF_BIAS] = runner.zeros(pd.diff_bias_desc());
  if (lstm) {
    args[DNNL_ARG_DST_ITER_C] =
        runner.to_primitive_layout(gradients.forward.final_states.at("c"), Tag::ldnc, pd.dst_iter_c_desc());
    args[DNNL_ARG_DIFF_DST_ITER_C] =
        runner.to_primitive_layout(named_tensor(loss.final_states, "c", B * H), Tag::ldnc, pd.diff_dst_iter_c_desc());
    args[DNNL_ARG_DIFF_SRC_ITER_C] = memory(pd.diff_src_iter_c_desc(), runner.engine());
  }
  if (!weights.peephole.empty()) args[DNNL_ARG_DIFF_WEIGHTS_PEEPHOLE] = runner.zeros(pd.diff_weights_peephole_desc());
  if (!weights.projection.empty())
    args[DNNL_ARG_DIFF_WEIGHTS_PROJECTION] = runner.zeros(pd.diff_weights_projection_desc());

  runner.execute(dnnl::primitive(pd), args);

  gradients.x = runner.from_primitive_layout(args.at(DNNL_ARG_DIFF_SRC_LAYER), Tag::tnc);
  gradients.initial_states["h"] = runner.from_primitive_layout(args.at(DNNL_ARG_DIFF_SRC_ITER), Tag::ldnc);
  if (lstm) gradients.initial_states["c"] = runner.from_primitive_layout(args.at(DNNL_ARG_DIFF_SRC_ITER_C), Tag::ldnc);
  OnednnWeights diff = {
      .layer = runner.from_primitive_layout(args.at(DNNL_ARG_DIFF_WEIGHTS_LAYER), Tag::ldigo),
      .iter = runner.from_primitive_layout(args.at(DNNL_ARG_DIFF_WEIGHTS_ITER), Tag::ldigo),
      .bias = runner.from_primitive_layout(args.at(DNNL_ARG_DIFF_BIAS), Tag::ldgo),
  };
  if (!weights.peephole.empty())
    diff.peephole = runner.from_primitive_layout(args.at(DNNL_ARG_DIFF_WEIGHTS_PEEPHOLE), Tag::ldgo);
  if (!weights.projection.empty())
    diff.projection = runner.from_primitive_layout(args.at(DNNL_ARG_DIFF_WEIGHTS_PROJECTION), Tag::ldio);
  gradients.params = param_gradients(problem.cell, sizes, diff);
  return gradients;
}

}  // namespace rnnc::testing
