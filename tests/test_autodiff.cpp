// Derived backward steps against finite differences: one small cell per
// derivative rule, then every shipped cell, then truncated BPTT.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

#include "rnnc/autodiff.h"
#include "rnnc/bptt.h"
#include "rnnc/frontend.h"
#include "rnnc/gradcheck.h"
#include "support/cells.h"

using rnnc::testing::ir_of;

namespace {

void require_gradients_match(const rnnc::Graph& graph, int steps, int batch, std::uint32_t seed) {
  rnnc::GradcheckOptions options;
  options.steps = steps;
  options.batch = batch;
  options.seed = seed;
  for (const rnnc::GradientCheck& check : rnnc::gradcheck(graph, options)) {
    INFO(graph.cell_name << ": " << check.name << " (T=" << steps << ", B=" << batch << ")");
    CHECK(check.checked > 0);
    CHECK(check.worst_error <= rnnc::kGradcheckTolerance);
  }
}

}  // namespace

TEST_CASE("each derivative rule matches finite differences", "[autodiff]") {
  // One statement per rule, each feeding the state so its adjoint matters.
  // Arguments of log, sqrt and division are kept away from their poles.
  auto expression = GENERATE(as<std::string>{},
      "-x", "sigmoid(x)", "tanh(x)", "relu(x)", "exp(x)", "log(x * x + 1)", "sqrt(x * x + 1)", "abs(x)",
      "softplus(x)", "x + h", "x - h", "x * h", "x / (h * h + 1)", "max(x, h)", "min(x, h)", "W @ x",
      "W @ (x * h)", "[x[0:1] * h[1:2], h[1:H] + x[0:H-1]]", "[x[0:1], k, h[2:H]] * 2",
      "h * sum(x)", "h * mean(x * x)", "softmax(x + h)", "x * k + k", "h * (x[0:1] + 1)", "x / k");
  std::string text = "cell rule<H> {\n  input x[H]\n  state h[H]\n  param W[H, H], k\n  v = " + expression +
                     "\n  h' = tanh(v + h * W @ h + k)\n  output y = v\n}\n";
  INFO(text);
  rnnc::Graph graph = ir_of(text, {{"H", 4}});
  require_gradients_match(graph, 3, 2, 11);
}

TEST_CASE("every shipped cell passes gradcheck at several shapes", "[autodiff][dsl]") {
  std::vector<std::string> paths = rnnc::testing::shipped_cells();
  REQUIRE(paths.size() >= 7);
  for (const std::string& path : paths) {
    auto file = rnnc::read_source_file(path);
    REQUIRE(file);
    for (auto [extent, steps, batch] : {std::tuple{1, 1, 1}, std::tuple{3, 4, 2}, std::tuple{5, 2, 3}}) {
      rnnc::DimensionArgs dims = rnnc::testing::distinct_dimensions(path, extent);
      require_gradients_match(ir_of(*file, dims), steps, batch, 3);
    }
  }
}

namespace {

struct Problem {
  rnnc::Graph graph;
  rnnc::BackwardStep backward;
  rnnc::InterpreterArgs<double> args;
  rnnc::LossAdjoints<double> loss;
};

Problem elman_problem(int steps) {
  Problem problem{ir_of("cell rnn<H> {\n  input x[H]\n  state h[H]\n  param W[H, H], U[H, H]\n"
                        "  h' = tanh(W @ x + U @ h)\n  output y = h'\n}\n",
                        {{"H", 2}}),
                  {}, {}, {}};
  problem.backward = rnnc::differentiate(problem.graph);
  problem.args.steps = steps;
  problem.args.batch = 1;
  problem.args.inputs = {{}};
  for (int t = 0; t < steps; ++t) problem.args.inputs[0].insert(problem.args.inputs[0].end(), {0.3 * t, -0.2});
  problem.args.initial_states = {{0.5, -0.25}};
  problem.args.params = {{0.1, -0.4, 0.7, 0.2}, {0.6, 0.3, -0.5, 0.9}};
  problem.loss.outputs = {std::vector<double>(std::size_t(2 * steps), 1.0)};
  problem.loss.final_states = {{0.5, 2.0}};
  return problem;
}

}  // namespace

TEST_CASE("truncated BPTT with a window of at least T equals full BPTT", "[autodiff][bptt]") {
  Problem problem = elman_problem(4);
  auto full = rnnc::run_backward(problem.graph, problem.backward, problem.args, problem.loss, 0);
  for (int window : {4, 5, 100}) {
    auto truncated = rnnc::run_backward(problem.graph, problem.backward, problem.args, problem.loss, window);
    CHECK(truncated.params == full.params);
    CHECK(truncated.inputs == full.inputs);
    CHECK(truncated.initial_states == full.initial_states);
  }
  auto shorter = rnnc::run_backward(problem.graph, problem.backward, problem.args, problem.loss, 2);
  CHECK(shorter.params != full.params);  // the comparison above can fail
}

TEST_CASE("truncated BPTT with a window of 1 equals the single-step gradient derived by hand", "[autodiff][bptt]") {
  const int T = 3;
  Problem problem = elman_problem(T);
  auto result = rnnc::run_backward(problem.graph, problem.backward, problem.args, problem.loss, 1);
  rnnc::SequenceResult<double> forward = rnnc::run_sequence(problem.graph, problem.args);

  // With k = 1 each step sees only its own loss: a_t = dL/dh_t (1 from y_t,
  // plus the final-state weights at t = T-1), dz = a_t (1 − h_t²),
  // dW += dz x_tᵀ, dU += dz h_{t-1}ᵀ, dx_t = Wᵀ dz; dh_0 = Uᵀ dz at t = 0.
  const auto& W = problem.args.params[0];
  const auto& U = problem.args.params[1];
  std::vector<double> dW(4, 0.0), dU(4, 0.0);
  std::vector<double> previous = problem.args.initial_states[0];
  for (int t = 0; t < T; ++t) {
    const double* x = &problem.args.inputs[0][std::size_t(2 * t)];
    const double* h = &forward.outputs[0][std::size_t(2 * t)];
    double dz[2];
    for (int j = 0; j < 2; ++j) {
      double a = 1.0 + (t == T - 1 ? problem.loss.final_states[0][std::size_t(j)] : 0.0);
      dz[j] = a * (1 - h[j] * h[j]);
    }
    for (int r = 0; r < 2; ++r) {
      for (int c = 0; c < 2; ++c) {
        dW[std::size_t(2 * r + c)] += dz[r] * x[c];
        dU[std::size_t(2 * r + c)] += dz[r] * previous[std::size_t(c)];
      }
    }
    for (int c = 0; c < 2; ++c) {
      double dx = W[std::size_t(c)] * dz[0] + W[std::size_t(2 + c)] * dz[1];
      CHECK(result.inputs[0][std::size_t(2 * t + c)] == Approx(dx).epsilon(1e-14));
      if (t == 0) {
        double dh0 = U[std::size_t(c)] * dz[0] + U[std::size_t(2 + c)] * dz[1];
        CHECK(result.initial_states[0][std::size_t(c)] == Approx(dh0).epsilon(1e-14));
      }
    }
    previous.assign(h, h + 2);
  }
  for (std::size_t k = 0; k < 4; ++k) {
    CHECK(result.params[0][k] == Approx(dW[k]).epsilon(1e-14));
    CHECK(result.params[1][k] == Approx(dU[k]).epsilon(1e-14));
  }
}

TEST_CASE("the LSTM saves its activations and no pre-activation", "[autodiff][plan]") {
  auto file = rnnc::read_source_file(std::string(RNNC_SOURCE_DIR) + "/dsl/lstm.cell");
  REQUIRE(file);
  rnnc::Graph graph = ir_of(*file, {{"I", 3}, {"H", 4}});
  rnnc::BackwardStep backward = rnnc::differentiate(graph);
  // i, f, g, o and tanh(c'): 5H; the states h and c: 2H.
  CHECK(backward.plan.saved_floats == 5 * 4);
  CHECK(backward.plan.state_floats == 2 * 4);
  CHECK(backward.plan.floats_per_step == 7 * 4);
  for (const rnnc::Node& node : backward.graph.nodes) {
    bool transcendental = node.op == rnnc::Op::Tanh || node.op == rnnc::Op::Sigmoid || node.op == rnnc::Op::Exp;
    CHECK_FALSE(transcendental);
  }
}

TEST_CASE("a saved value that other saved values rebuild cheaply is not saved", "[autodiff][plan]") {
  // The backward step of a layer norm reads d = a - mean(a), σ and g·d/σ.
  // Asked for first, g·d/σ was saved before d was; d and σ rebuild it.
  auto file = rnnc::read_source_file(std::string(RNNC_SOURCE_DIR) + "/dsl/layernorm_lstm.cell");
  REQUIRE(file);
  const std::int64_t H = 4;
  rnnc::Graph graph = ir_of(*file, {{"I", 3}, {"H", H}});
  rnnc::BackwardStep backward = rnnc::differentiate(graph);
  // i, f, g, o, tanh(LN(c')) (5H), d_x and d_h (4H each), the three σ (3).
  CHECK(backward.plan.saved_floats == std::size_t(5 * H + 8 * H + 3));
  for (rnnc::NodeId id : backward.plan.saved) {
    CHECK(graph.node(id).op != rnnc::Op::Div);
  }
}
