// The output layers: the linear map alone against the textbook formulas,
// and the fused linear + softmax + cross-entropy layer: its loss and
// gradients against a double-precision reference and finite differences,
// padding rows, and logits far beyond exp's range.
#include <catch2/catch.hpp>

#include <cmath>

#include "rnnc/linear.h"
#include "rnnc/softmax_output.h"
#include "support/finite_differences.h"
#include "support/random_data.h"

namespace {

struct Reference {
  double loss = 0;
  std::vector<double> input_adjoint, weight_gradient, bias_gradient;
};

// The textbook formulas in double: logits = W x + b, loss = mean over rows
// with a target of log(sum(exp(logits))) - logits[target], and the adjoint
// of the logits (softmax - one_hot) / count.
Reference reference(std::span<const float> weight, std::span<const float> bias, std::span<const float> input,
                    std::span<const std::int32_t> targets) {
  const std::size_t classes = bias.size(), width = weight.size() / classes, rows = targets.size();
  Reference result;
  result.input_adjoint.assign(input.size(), 0.0);
  result.weight_gradient.assign(weight.size(), 0.0);
  result.bias_gradient.assign(classes, 0.0);
  const double count = double(std::ranges::count_if(targets, [](std::int32_t t) { return t >= 0; }));
  for (std::size_t r = 0; r < rows; ++r) {
    if (targets[r] < 0) continue;
    std::vector<double> logits(classes);
    for (std::size_t c = 0; c < classes; ++c) {
      logits[c] = bias[c];
      for (std::size_t k = 0; k < width; ++k) logits[c] += double(weight[c * width + k]) * input[r * width + k];
    }
    const double top = *std::ranges::max_element(logits);
    double sum = 0;
    for (double logit : logits) sum += std::exp(logit - top);
    const double normalizer = top + std::log(sum);
    result.loss += (normalizer - logits[std::size_t(targets[r])]) / count;
    for (std::size_t c = 0; c < classes; ++c) {
      const double adjoint = (std::exp(logits[c] - normalizer) - (int(c) == targets[r] ? 1.0 : 0.0)) / count;
      result.bias_gradient[c] += adjoint;
      for (std::size_t k = 0; k < width; ++k) {
        result.weight_gradient[c * width + k] += adjoint * input[r * width + k];
        result.input_adjoint[r * width + k] += adjoint * weight[c * width + k];
      }
    }
  }
  return result;
}

void check_close(std::span<const float> actual, const std::vector<double>& expected) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    INFO("element " << i);
    CHECK(actual[i] == Approx(expected[i]).epsilon(1e-4).margin(1e-6));
  }
}

}  // namespace

TEST_CASE("softmax cross-entropy matches a double-precision reference and skips padding", "[softmax]") {
  const std::int64_t width = 5, classes = 7;
  const std::vector<std::int32_t> targets = {3, -1, 0, 6, -1, 2};
  rnnc::SoftmaxOutput output(width, classes);
  rnnc::Rng rng(3);
  output.initialize(rnnc::WeightInit::pytorch_default, rng);
  std::vector<rnnc::TrainableTensor> tensors = output.parameters("out.");
  REQUIRE(tensors[0].name == "out.weight");
  REQUIRE(tensors[1].name == "out.bias");
  std::vector<float> input = rnnc::testing::RandomData(4).uniform(targets.size() * width, 2.0f);
  std::vector<float> input_adjoint(input.size(), 99.0f);

  const float loss = output.loss_and_backward(input, targets, input_adjoint);
  Reference expected = reference(tensors[0].value, tensors[1].value, input, targets);
  CHECK(loss == Approx(expected.loss).epsilon(1e-5));
  check_close(input_adjoint, expected.input_adjoint);
  check_close(tensors[0].gradient, expected.weight_gradient);
  check_close(tensors[1].gradient, expected.bias_gradient);
  CHECK(output.loss(input, targets) == Approx(loss).epsilon(1e-6));

  std::span<const float> log_probabilities = output.log_probabilities(input);
  for (std::size_t r = 0; r < targets.size(); ++r) {
    double total = 0;
    for (std::int64_t c = 0; c < classes; ++c) total += std::exp(double(log_probabilities[r * classes + c]));
    CHECK(total == Approx(1.0).epsilon(1e-5));
  }

  const std::vector<std::int32_t> all_padding(targets.size(), -1);
  CHECK(output.loss_and_backward(input, all_padding, input_adjoint) == 0.0f);
  CHECK(std::ranges::all_of(input_adjoint, [](float v) { return v == 0.0f; }));
  const std::vector<std::int32_t> bad_target = {0, 0, 0, 7, 0, 0};
  CHECK_THROWS_WITH(output.loss(input, bad_target), Catch::Contains("target 7 outside [0, 7)"));
}

TEST_CASE("softmax cross-entropy gradients match finite differences", "[softmax]") {
  const std::int64_t width = 4, classes = 5;
  const std::vector<std::int32_t> targets = {1, 4, -1, 0};
  rnnc::SoftmaxOutput output(width, classes);
  rnnc::Rng rng(8);
  output.initialize(rnnc::WeightInit::xavier_uniform, rng);
  std::vector<rnnc::TrainableTensor> tensors = output.parameters("");
  std::vector<float> input = rnnc::testing::RandomData(6).uniform(targets.size() * width);
  std::vector<float> input_adjoint(input.size());
  output.loss_and_backward(input, targets, input_adjoint);
  auto loss = [&] {
    output.parameters_changed();
    return double(output.loss(input, targets));
  };
  rnnc::testing::check_finite_differences(input, input_adjoint, loss, "input");
  for (const rnnc::TrainableTensor& tensor : tensors) {
    rnnc::testing::check_finite_differences(tensor.value, tensor.gradient, loss, tensor.name);
  }
}

TEST_CASE("softmax cross-entropy stays finite and exact for huge logits", "[softmax]") {
  // One input, weights (1, 0, -1): logits ±1e4, where exp overflows float.
  rnnc::SoftmaxOutput output(1, 3);
  std::vector<rnnc::TrainableTensor> tensors = output.parameters("");
  std::ranges::copy(std::vector<float>{1, 0, -1}, tensors[0].value.begin());
  std::ranges::fill(tensors[1].value, 0.0f);
  output.parameters_changed();
  const std::vector<float> input = {1e4f, 1e4f, -1e4f};
  const std::vector<std::int32_t> targets = {0, 1, 0};  // losses 0, 1e4, 2e4
  std::vector<float> input_adjoint(3);
  CHECK(output.loss_and_backward(input, targets, input_adjoint) == Approx(1e4));
  CHECK(input_adjoint[0] == Approx(0.0).margin(1e-6));
  CHECK(input_adjoint[1] == Approx(1.0 / 3));
  CHECK(input_adjoint[2] == Approx(-2.0 / 3));
  for (float value : output.log_probabilities(input)) CHECK(std::isfinite(value));
}

TEST_CASE("a linear layer computes W x + b and the gradients of its weights and input", "[linear]") {
  const std::int64_t width = 6, outputs = 3, rows = 5;
  rnnc::Linear linear(width, outputs);
  rnnc::Rng rng(5);
  linear.initialize(rnnc::WeightInit::pytorch_default, rng);
  std::vector<rnnc::TrainableTensor> tensors = linear.parameters("proj.");
  REQUIRE(tensors[0].name == "proj.weight");
  REQUIRE(tensors[1].name == "proj.bias");
  const std::span<const float> weight = tensors[0].value, bias = tensors[1].value;
  rnnc::testing::RandomData data(9);
  const std::vector<float> input = data.uniform(std::size_t(rows * width));
  const std::vector<float> adjoint = data.uniform(std::size_t(rows * outputs));

  const std::vector<float> output = [&] {
    std::span<const float> values = linear.forward(input, true);
    return std::vector<float>(values.begin(), values.end());
  }();
  std::span<const float> input_adjoint = linear.backward(adjoint);
  std::vector<double> expected_output(output.size()), expected_input_adjoint(input.size());
  std::vector<double> expected_weight_gradient(weight.size()), expected_bias_gradient(bias.size());
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t o = 0; o < outputs; ++o) {
      const double a = adjoint[std::size_t(r * outputs + o)];
      double value = bias[std::size_t(o)];
      for (std::int64_t k = 0; k < width; ++k) {
        const double w = weight[std::size_t(o * width + k)], x = input[std::size_t(r * width + k)];
        value += w * x;
        expected_input_adjoint[std::size_t(r * width + k)] += a * w;
        expected_weight_gradient[std::size_t(o * width + k)] += a * x;
      }
      expected_output[std::size_t(r * outputs + o)] = value;
      expected_bias_gradient[std::size_t(o)] += a;
    }
  }
  check_close(output, expected_output);
  check_close(input_adjoint, expected_input_adjoint);
  check_close(tensors[0].gradient, expected_weight_gradient);
  check_close(tensors[1].gradient, expected_bias_gradient);
  CHECK_THROWS_WITH(linear.forward(std::vector<float>(7), false), Catch::Contains("not a whole number of rows of 6"));
}
