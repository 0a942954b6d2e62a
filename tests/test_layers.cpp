// The training layers: every standard cell learns through them, their
// gradients match finite differences, truncated BPTT carries state, and
// parameters are named and initialized deterministically.
#include <catch2/catch.hpp>

#include <cmath>

#include "rnnc/embedding.h"
#include "rnnc/recurrent_stack.h"
#include "rnnc/softmax_output.h"
#include "support/cells.h"
#include "support/finite_differences.h"
#include "support/random_data.h"

namespace {

using rnnc::testing::check_finite_differences;
using rnnc::testing::RandomData;
using rnnc::testing::weighted_sum;

const std::string kDsl = RNNC_SOURCE_DIR "/dsl/";

}  // namespace

TEST_CASE("every standard cell with one input learns a small task", "[layers][training]") {
  // Next token = the previous input token: the cell must remember one step.
  const std::int64_t vocabulary = 4, width = 16, steps = 8, batch = 16;
  for (const std::string& path : rnnc::testing::shipped_cells()) {
    DYNAMIC_SECTION(path) {
      rnnc::CellSpec spec = rnnc::CellSpec::from_file(path, rnnc::testing::all_dimensions(path, width));
      rnnc::Graph graph = rnnc::testing::ir_of(spec.source, spec.dimensions);
      std::erase_if(spec.dimensions, [](const auto& dimension) { return dimension.first == "I"; });
      if (graph.inputs.size() != 1) {
        CHECK_THROWS_WITH(rnnc::RecurrentStack(spec, width, {}), Catch::Contains("needs one input"));
        continue;
      }
      rnnc::Embedding embedding(vocabulary, width);
      rnnc::RecurrentStack recurrent(spec, width, {});
      rnnc::SoftmaxOutput output(recurrent.output_size(), vocabulary);
      rnnc::Rng rng(1);
      embedding.initialize(rnnc::WeightInit::pytorch_default, rng);
      recurrent.initialize(rnnc::WeightInit::pytorch_default, rng);
      output.initialize(rnnc::WeightInit::pytorch_default, rng);
      std::vector<rnnc::TrainableTensor> tensors = embedding.parameters("embedding.");
      for (auto& tensor : recurrent.parameters("rnn.")) tensors.push_back(tensor);
      for (auto& tensor : output.parameters("output.")) tensors.push_back(tensor);
      auto adam = rnnc::make_adam(tensors, {.learning_rate = 0.02f});

      std::vector<std::int32_t> tokens(steps * batch), targets(steps * batch, -1);
      for (std::int64_t i = 0; i < steps * batch; ++i) tokens[i] = std::int32_t(rng.below(vocabulary));
      for (std::int64_t i = batch; i < steps * batch; ++i) targets[i] = tokens[i - batch];
      std::vector<float> hidden_adjoint(steps * batch * recurrent.output_size());
      float first_loss = 0, loss = 0;
      for (int step = 0; step < 60; ++step) {
        adam->zero_gradients();
        std::span<const float> hidden = recurrent.forward({steps, batch, embedding.forward(tokens), {}, {}, true});
        loss = output.loss_and_backward(hidden, targets, hidden_adjoint);
        embedding.backward(recurrent.backward(hidden_adjoint, {}));
        adam->step();
        recurrent.parameters_changed();
        output.parameters_changed();
        if (step == 0) first_loss = loss;
      }
      INFO("loss " << first_loss << " -> " << loss);
      CHECK(first_loss == Approx(std::log(4.0)).epsilon(0.2));
      CHECK(loss < 0.5f * first_loss);
    }
  }
}

TEST_CASE("stacked and bidirectional gradients match finite differences", "[layers][gradients]") {
  const bool bidirectional = GENERATE(false, true);
  const rnnc::Merge merge = GENERATE(rnnc::Merge::concatenate, rnnc::Merge::sum);
  if (!bidirectional && merge == rnnc::Merge::sum) return;
  const std::int64_t steps = 4, batch = 3, input_size = 2;
  const std::vector<std::int64_t> lengths = {4, 1, 3};
  rnnc::RecurrentStack stack(rnnc::CellSpec::from_file(kDsl + "lstm.cell", {{"H", 3}}), input_size,
                             {.layers = 2, .bidirectional = bidirectional, .merge = merge});
  rnnc::Rng rng(4);
  stack.initialize(rnnc::WeightInit::pytorch_default, rng);
  RandomData random(9);
  std::vector<float> x = random.uniform(std::size_t(steps * batch * input_size));
  std::vector<float> output_weights = random.uniform(std::size_t(steps * batch * stack.output_size()));
  rnnc::StateList initial, final_weights;
  for (std::int64_t size : stack.state_sizes()) {
    initial.push_back(random.uniform(std::size_t(batch * size), 0.5f));
    final_weights.push_back(random.uniform(std::size_t(batch * size)));
  }
  // Loss = weights · outputs + weights · final states: its adjoints are the weights.
  auto loss = [&] {
    double sum = weighted_sum(stack.forward({steps, batch, x, lengths, initial, false}), output_weights);
    for (std::size_t s = 0; s < initial.size(); ++s) sum += weighted_sum(stack.final_states()[s], final_weights[s]);
    return sum;
  };

  stack.forward({steps, batch, x, lengths, initial, true});
  std::span<const float> input_adjoint = stack.backward(output_weights, final_weights);
  std::vector<float> dx(input_adjoint.begin(), input_adjoint.end());
  rnnc::StateList initial_adjoints = stack.initial_state_adjoints();
  for (const rnnc::TrainableTensor& tensor : stack.parameters("")) {
    check_finite_differences(tensor.value, tensor.gradient, [&] {
      stack.parameters_changed();
      return loss();
    }, tensor.name);
  }
  stack.parameters_changed();
  check_finite_differences(x, dx, loss, "input");
  for (std::size_t s = 0; s < initial.size(); ++s) {
    check_finite_differences(initial[s], initial_adjoints[s], loss, "initial state " + std::to_string(s));
  }
}

TEST_CASE("truncated BPTT: chunks with the carried state equal the whole sequence", "[layers][tbptt]") {
  const std::int64_t steps = 6, batch = 2, input_size = 3;
  rnnc::RecurrentStack stack(rnnc::CellSpec::from_file(kDsl + "lstm.cell", {{"H", 4}}), input_size, {.layers = 2});
  rnnc::Rng rng(2);
  stack.initialize(rnnc::WeightInit::pytorch_default, rng);
  std::vector<float> x = RandomData(3).uniform(std::size_t(steps * batch * input_size));
  std::span<const float> whole_output = stack.forward({steps, batch, x, {}, {}, false});
  std::vector<float> whole(whole_output.begin(), whole_output.end());
  rnnc::StateList whole_final = stack.final_states();

  const std::int64_t chunk = 2, chunk_floats = chunk * batch * input_size;
  rnnc::StateList carried;  // empty: zero initial states
  for (std::int64_t k = 0; k < steps / chunk; ++k) {
    std::span<const float> chunk_input = std::span<const float>(x).subspan(k * chunk_floats, chunk_floats);
    std::span<const float> output = stack.forward({chunk, batch, chunk_input, {}, carried, true});
    stack.backward(output, {});  // gradients stop at the chunk's start
    carried = stack.final_states();
    for (std::size_t i = 0; i < output.size(); ++i) {
      CHECK(output[i] == Approx(whole[k * chunk * batch * stack.output_size() + i]).epsilon(1e-5).margin(1e-6));
    }
  }
  for (std::size_t s = 0; s < carried.size(); ++s) {
    for (std::size_t i = 0; i < carried[s].size(); ++i) {
      CHECK(carried[s][i] == Approx(whole_final[s][i]).epsilon(1e-5).margin(1e-6));
    }
  }
}

TEST_CASE("parameters are named per layer and direction and initialized from the seed", "[layers][parameters]") {
  rnnc::CellSpec spec = rnnc::CellSpec::from_file(kDsl + "gru.cell", {{"H", 8}});
  rnnc::RecurrentStack one(spec, 5, {.layers = 2, .bidirectional = true});
  rnnc::RecurrentStack two(spec, 5, {.layers = 2, .bidirectional = true});
  rnnc::Rng rng_one(42), rng_two(42);
  one.initialize(rnnc::WeightInit::pytorch_default, rng_one);
  two.initialize(rnnc::WeightInit::pytorch_default, rng_two);
  std::vector<rnnc::TrainableTensor> tensors = one.parameters("encoder."), twins = two.parameters("encoder.");
  REQUIRE(tensors.size() == 16);
  CHECK(tensors[0].name == "encoder.layer0.fwd.W_ih");
  CHECK(tensors[0].value.size() == 3 * 8 * 5);
  CHECK(tensors[4].name == "encoder.layer0.bwd.W_ih");
  CHECK(tensors[15].name == "encoder.layer1.bwd.b_hh");
  CHECK(tensors[8].value.size() == 3 * 8 * 16);  // layer 1 reads both directions
  const float bound = 1.0f / std::sqrt(8.0f);
  for (std::size_t p = 0; p < tensors.size(); ++p) {
    CHECK(std::ranges::equal(tensors[p].value, twins[p].value));
    CHECK(std::ranges::all_of(tensors[p].value, [&](float v) { return std::abs(v) <= bound; }));
  }

  rnnc::Rng rng(1);
  one.initialize(rnnc::WeightInit::xavier_uniform, rng);
  CHECK(std::ranges::all_of(tensors[2].value, [](float v) { return v == 0.0f; }));  // b_ih
  const float xavier_bound = std::sqrt(6.0f / float(5 + 24));
  CHECK(std::ranges::all_of(tensors[0].value, [&](float v) { return std::abs(v) <= xavier_bound; }));
  CHECK(std::ranges::any_of(tensors[0].value, [&](float v) { return std::abs(v) > bound; }));
}

TEST_CASE("dropout zeroes a share of the values in training only, and backward uses the same mask",
          "[layers][dropout]") {
  std::vector<float> input(10000, 1.0f);
  rnnc::Dropout dropout(0.25f, 7);
  CHECK(dropout.forward(input, false).data() == input.data());
  std::span<const float> output = dropout.forward(input, true);
  std::int64_t zeros = std::ranges::count(output, 0.0f);
  CHECK(zeros > 2300);
  CHECK(zeros < 2700);
  CHECK(std::ranges::all_of(output, [](float v) { return v == 0.0f || v == Approx(1.0f / 0.75f); }));
  std::vector<float> kept(output.begin(), output.end());
  std::span<const float> adjoint = dropout.backward(input);
  CHECK(std::ranges::equal(adjoint, kept));
  CHECK_THROWS_AS(rnnc::Dropout(1.0f, 0), rnnc::RuntimeError);
}

TEST_CASE("embedding rows, padding and gradient accumulation", "[layers][embedding]") {
  rnnc::Embedding embedding(3, 2);
  rnnc::Rng rng(5);
  embedding.initialize(rnnc::WeightInit::pytorch_default, rng);
  std::vector<rnnc::TrainableTensor> tensors = embedding.parameters("embed.");
  REQUIRE(tensors.size() == 1);
  CHECK(tensors[0].name == "embed.weight");
  const std::vector<std::int32_t> tokens = {2, -1, 2, 0};
  std::span<const float> rows = embedding.forward(tokens);
  CHECK(rows[0] == tensors[0].value[4]);
  CHECK(rows[1] == tensors[0].value[5]);
  CHECK(rows[2] == 0.0f);
  CHECK(rows[3] == 0.0f);
  CHECK(rows[6] == tensors[0].value[0]);
  embedding.backward(std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8});
  CHECK(std::ranges::equal(tensors[0].gradient, std::vector<float>{7, 8, 0, 0, 6, 8}));
  const std::vector<std::int32_t> out_of_range = {3};
  CHECK_THROWS_WITH(embedding.forward(out_of_range), Catch::Contains("token 3 outside [0, 3)"));
}
