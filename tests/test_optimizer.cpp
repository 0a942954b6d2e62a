// SGD and Adam follow PyTorch's update rules step by step, and gradient
// clipping follows clip_grad_norm_. Expected values are worked out by hand
// in the comments; most are chosen to be exact in binary.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "rnnc/cell.h"
#include "rnnc/optimizer.h"

namespace {

// One parameter with its gradient, owned by the test.
struct Parameter {
  std::vector<float> value, gradient;
  explicit Parameter(std::vector<float> initial) : value(std::move(initial)), gradient(value.size()) {}
  rnnc::TrainableTensor view(std::string name) { return {std::move(name), value, gradient}; }
};

// Runs two steps of `optimizer` on w with the gradients g1 then g2.
std::pair<float, float> two_steps(Parameter& w, rnnc::Optimizer& optimizer, float g1, float g2) {
  w.gradient = {g1};
  optimizer.step();
  float after_first = w.value[0];
  w.gradient = {g2};
  optimizer.step();
  return {after_first, w.value[0]};
}

std::pair<float, float> sgd_two_steps(const rnnc::SgdOptions& options, float g1, float g2) {
  Parameter w({1.0f});
  auto sgd = rnnc::make_sgd({w.view("w")}, options);
  return two_steps(w, *sgd, g1, g2);
}

std::pair<float, float> adam_two_steps(const rnnc::AdamOptions& options, float g1, float g2) {
  Parameter w({1.0f});
  auto adam = rnnc::make_adam({w.view("w")}, options);
  return two_steps(w, *adam, g1, g2);
}

}  // namespace

TEST_CASE("optimizer: plain SGD subtracts lr times the gradient from every value", "[optimizer]") {
  Parameter a({1.0f, -2.0f}), b({4.0f});
  auto sgd = rnnc::make_sgd({a.view("a"), b.view("b")}, {.learning_rate = 0.5f});
  a.gradient = {0.25f, -1.0f};
  b.gradient = {2.0f};
  sgd->step();
  // 1 - 0.5·0.25 = 0.875;  -2 - 0.5·(-1) = -1.5;  4 - 0.5·2 = 3
  CHECK(a.value == std::vector<float>{0.875f, -1.5f});
  CHECK(b.value == std::vector<float>{3.0f});
  CHECK(sgd->steps_taken() == 1);
}

TEST_CASE("optimizer: SGD with momentum, Nesterov and weight decay matches PyTorch over two steps", "[optimizer]") {
  // w0 = 1, lr = 0.5, gradients 1 then 0.25.
  SECTION("momentum 0.5: b1 = g1 = 1, w1 = 1 - 0.5·1 = 0.5; b2 = 0.5·1 + 0.25 = 0.75, w2 = 0.5 - 0.375") {
    CHECK(sgd_two_steps({.learning_rate = 0.5f, .momentum = 0.5f}, 1.0f, 0.25f) == std::pair{0.5f, 0.125f});
  }
  SECTION("Nesterov 0.5: d1 = 1 + 0.5·1 = 1.5, w1 = 0.25; b2 = 0.75, d2 = 0.25 + 0.375 = 0.625, w2 = 0.25 - 0.3125") {
    CHECK(sgd_two_steps({.learning_rate = 0.5f, .momentum = 0.5f, .nesterov = true}, 1.0f, 0.25f) ==
          std::pair{0.25f, -0.0625f});
  }
  SECTION("weight decay 0.5: d1 = 1 + 0.5·1 = 1.5, w1 = 0.25; d2 = 0.25 + 0.5·0.25 = 0.375, w2 = 0.25 - 0.1875") {
    CHECK(sgd_two_steps({.learning_rate = 0.5f, .weight_decay = 0.5f}, 1.0f, 0.25f) == std::pair{0.25f, 0.0625f});
  }
  SECTION(
      "momentum and decay 0.5: b1 = d1 = 1.5, w1 = 0.25; d2 = 0.375, b2 = 0.75 + 0.375 = 1.125, w2 = 0.25 - 0.5625") {
    CHECK(sgd_two_steps({.learning_rate = 0.5f, .momentum = 0.5f, .weight_decay = 0.5f}, 1.0f, 0.25f) ==
          std::pair{0.25f, -0.3125f});
  }
}

TEST_CASE("optimizer: Adam with bias correction matches PyTorch over two steps", "[optimizer]") {
  // w0 = 1, lr = 0.1, β1 = 0.5, β2 = 0.75, gradients 2 then 1.
  // Step 1: m = 0.5·2 = 1, v = 0.25·4 = 1; step size 0.1 / (1 - 0.5) = 0.2,
  //         denominator sqrt(1) / sqrt(1 - 0.75) = 2: w1 = 1 - 0.2·1/2 = 0.9.
  // Step 2: m = 1 + 0.5·(1 - 1) = 1, v = 0.75·1 + 0.25·1 = 1; step size 0.1 / (1 - 0.25),
  //         denominator 1 / sqrt(1 - 0.5625): w2 = 0.9 - (0.1/0.75)·sqrt(0.4375) = 0.8118082893.
  const rnnc::AdamOptions options{.learning_rate = 0.1f, .beta1 = 0.5f, .beta2 = 0.75f, .epsilon = 0};
  auto [w1, w2] = adam_two_steps(options, 2.0f, 1.0f);
  CHECK(w1 == Approx(0.9).epsilon(1e-6));
  CHECK(w2 == Approx(0.8118082893).epsilon(1e-6));

  SECTION("epsilon is added after the bias correction: 1 - 0.2·1/(2 + 0.5) = 0.92") {
    rnnc::AdamOptions with_epsilon = options;
    with_epsilon.epsilon = 0.5f;
    CHECK(adam_two_steps(with_epsilon, 2.0f, 1.0f).first == Approx(0.92).epsilon(1e-6));
  }
  SECTION("weight decay 0.5 adds 0.5·w to the gradient: 1.5 + 0.5·1 = 2, then 0.55 + 0.5·0.9 = 1") {
    rnnc::AdamOptions with_decay = options;
    with_decay.weight_decay = 0.5f;
    auto [d1, d2] = adam_two_steps(with_decay, 1.5f, 0.55f);
    CHECK(d1 == Approx(0.9).epsilon(1e-6));
    CHECK(d2 == Approx(0.8118082893).epsilon(1e-6));
  }
}

TEST_CASE("optimizer: state tensors name the step and the buffers and resume a run exactly", "[optimizer]") {
  auto names = [](rnnc::Optimizer& optimizer) {
    std::vector<std::string> result;
    for (const auto& [name, values] : optimizer.state_tensors()) result.push_back(name);
    return result;
  };
  Parameter w({1.0f, 2.0f});
  CHECK(names(*rnnc::make_sgd({w.view("w")}, {})) == std::vector<std::string>{"step"});
  CHECK(names(*rnnc::make_sgd({w.view("w")}, {.momentum = 0.9f})) ==
        std::vector<std::string>{"step", "w.momentum_buffer"});
  CHECK(names(*rnnc::make_adam({w.view("w")}, {})) == std::vector<std::string>{"step", "w.exp_avg", "w.exp_avg_sq"});

  auto run = [](rnnc::Optimizer& optimizer, Parameter& p, std::vector<float> gradient) {
    p.gradient = gradient;
    optimizer.step();
  };
  auto resumes_exactly = [&](auto make) {
    // Three steps in one go...
    Parameter straight({1.0f, 2.0f});
    auto reference = make(straight);
    for (float g : {0.5f, -0.25f, 1.5f}) run(*reference, straight, {g, -g});
    // ...or one step, the state copied into a fresh optimizer, two more.
    Parameter resumed({1.0f, 2.0f});
    auto first = make(resumed);
    run(*first, resumed, {0.5f, -0.5f});
    auto second = make(resumed);
    auto saved = first->state_tensors(), restored = second->state_tensors();
    REQUIRE(saved.size() == restored.size());
    for (std::size_t i = 0; i < saved.size(); ++i)
      std::copy(saved[i].second.begin(), saved[i].second.end(), restored[i].second.begin());
    CHECK(second->steps_taken() == 1);
    for (float g : {-0.25f, 1.5f}) run(*second, resumed, {g, -g});
    CHECK(resumed.value == straight.value);
  };
  resumes_exactly([](Parameter& p) { return rnnc::make_sgd({p.view("p")}, {.momentum = 0.9f, .nesterov = true}); });
  resumes_exactly([](Parameter& p) { return rnnc::make_adam({p.view("p")}, {.learning_rate = 0.01f}); });
}

TEST_CASE("optimizer: zero_gradients and the learning rate", "[optimizer]") {
  Parameter a({1.0f, 2.0f}), b({3.0f});
  a.gradient = {5.0f, 6.0f};
  b.gradient = {7.0f};
  auto adam = rnnc::make_adam({a.view("a"), b.view("b")}, {.learning_rate = 0.25f});
  adam->zero_gradients();
  CHECK(a.gradient == std::vector<float>{0.0f, 0.0f});
  CHECK(b.gradient == std::vector<float>{0.0f});
  CHECK(adam->learning_rate() == 0.25f);
  adam->set_learning_rate(0.125f);
  CHECK(adam->learning_rate() == 0.125f);
  CHECK_THROWS_AS(adam->set_learning_rate(-1.0f), rnnc::RuntimeError);
  CHECK(adam->learning_rate() == 0.125f);
}

TEST_CASE("optimizer: invalid options and tensors are refused with a reason", "[optimizer]") {
  Parameter w({1.0f, 2.0f});
  auto sgd = [&](const rnnc::SgdOptions& options) { return rnnc::make_sgd({w.view("w")}, options); };
  auto adam = [&](const rnnc::AdamOptions& options) { return rnnc::make_adam({w.view("w")}, options); };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH(sgd({.learning_rate = -0.1f}), "learning rate must be finite and >= 0, got -0.1");
  CHECK_THROWS_WITH(sgd({.learning_rate = nan}), Catch::StartsWith("learning rate must be finite"));
  CHECK_THROWS_WITH(sgd({.momentum = -0.5f}), "SGD momentum must be finite and >= 0, got -0.5");
  CHECK_THROWS_WITH(sgd({.weight_decay = -1}), Catch::StartsWith("SGD weight decay"));
  CHECK_THROWS_WITH(sgd({.nesterov = true}), "SGD with Nesterov momentum needs a momentum > 0");
  CHECK_THROWS_WITH(adam({.beta1 = 1.0f}), "Adam beta1 must be in [0, 1), got 1");
  CHECK_THROWS_WITH(adam({.beta2 = -0.1f}), "Adam beta2 must be in [0, 1), got -0.1");
  CHECK_THROWS_WITH(adam({.epsilon = -1e-8f}), Catch::StartsWith("Adam epsilon"));
  CHECK_THROWS_WITH(adam({.learning_rate = std::numeric_limits<float>::infinity()}),
                    Catch::StartsWith("learning rate must be finite"));

  std::vector<float> short_gradient(1);
  CHECK_THROWS_WITH(rnnc::make_sgd({{"w", w.value, short_gradient}}, {}), "tensor 'w' has 2 values but 1 gradients");
  CHECK_THROWS_WITH(rnnc::make_adam({w.view("w"), w.view("w")}, {}), "two tensors are named 'w'");
}

TEST_CASE("optimizer: clip_gradient_norm scales to max_norm and returns the norm before", "[optimizer]") {
  Parameter a({0.0f}), b({0.0f, 0.0f});
  auto set_gradients = [&] {
    a.gradient = {3.0f};
    b.gradient = {0.0f, -4.0f};
  };
  std::vector<rnnc::TrainableTensor> tensors{a.view("a"), b.view("b")};

  set_gradients();
  CHECK(rnnc::clip_gradient_norm(tensors, 10.0f) == 5.0f);  // sqrt(3² + 4²); below the limit: unchanged
  CHECK(a.gradient[0] == 3.0f);
  CHECK(b.gradient[1] == -4.0f);

  set_gradients();
  CHECK(rnnc::clip_gradient_norm(tensors, 1.0f) == 5.0f);
  // factor 1 / (5 + 1e-6): 3/5 and -4/5, a hair smaller.
  CHECK(a.gradient[0] == Approx(0.6).epsilon(1e-6));
  CHECK(b.gradient[1] == Approx(-0.8).epsilon(1e-6));
  CHECK(std::hypot(a.gradient[0], b.gradient[1]) <= 1.0f);

  a.gradient = {std::numeric_limits<float>::quiet_NaN()};
  b.gradient = {1.0f, 2.0f};
  CHECK(std::isnan(rnnc::clip_gradient_norm(tensors, 1.0f)));
  CHECK(b.gradient == std::vector<float>{1.0f, 2.0f});  // left alone
  a.gradient = {std::numeric_limits<float>::infinity()};
  CHECK(std::isinf(rnnc::clip_gradient_norm(tensors, 1.0f)));
  CHECK(b.gradient == std::vector<float>{1.0f, 2.0f});

  CHECK_THROWS_AS(rnnc::clip_gradient_norm(tensors, -1.0f), rnnc::RuntimeError);
}
