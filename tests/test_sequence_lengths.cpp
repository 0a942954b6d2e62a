// A padded batch gives exactly what its samples give run one at a time:
// outputs (0 past each length), final states, input and initial-state
// adjoints, and parameter gradients (summed over the samples).
#include <catch2/catch.hpp>

#include "rnnc/bidirectional_layer.h"
#include "rnnc/recurrent_layer.h"
#include "support/random_data.h"

namespace {

using rnnc::testing::RandomData;

rnnc::Cell standard_cell(const std::string& name) {
  return rnnc::Cell::from_file(RNNC_SOURCE_DIR "/dsl/" + name + ".cell", {{"I", 3}, {"H", 4}});
}

// Steps [begin, end) of sample b of a [T][B][width] buffer.
std::vector<float> sample_rows(std::span<const float> buffer, std::int64_t batch, std::int64_t width, std::int64_t b,
                               std::int64_t begin, std::int64_t end) {
  std::vector<float> rows;
  for (std::int64_t t = begin; t < end; ++t) {
    const float* row = buffer.data() + (t * batch + b) * width;
    rows.insert(rows.end(), row, row + width);
  }
  return rows;
}

// Sample b of every [B][len] state.
rnnc::StateList sample_states(const rnnc::StateList& states, const std::vector<std::int64_t>& sizes, std::int64_t b) {
  rnnc::StateList sample;
  for (std::size_t s = 0; s < sizes.size(); ++s) sample.push_back(sample_rows(states[s], 1, sizes[s], b, 0, 1));
  return sample;
}

void check_close(std::span<const float> actual, std::span<const float> expected) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    INFO("element " << i);
    CHECK(actual[i] == Approx(expected[i]).epsilon(1e-5).margin(1e-6));
  }
}

std::vector<std::vector<float>> gradients_of(rnnc::SequenceLayer& layer) {
  std::vector<std::vector<float>> gradients;
  for (const rnnc::TrainableTensor& tensor : layer.parameters("")) {
    gradients.emplace_back(tensor.gradient.begin(), tensor.gradient.end());
  }
  return gradients;
}

void zero_gradients(rnnc::SequenceLayer& layer) {
  for (const rnnc::TrainableTensor& tensor : layer.parameters("")) std::ranges::fill(tensor.gradient, 0.0f);
}

void check_batch_equals_samples(rnnc::SequenceLayer& layer) {
  const std::int64_t steps = 5, batch = 5;
  const std::vector<std::int64_t> lengths = {3, 5, 0, 2, 5};
  const std::int64_t input_size = layer.input_size(), output_size = layer.output_size();
  const std::vector<std::int64_t> sizes = layer.state_sizes();
  rnnc::Rng rng(11);
  layer.initialize(rnnc::WeightInit::pytorch_default, rng);
  RandomData random(5);
  std::vector<float> x = random.uniform(std::size_t(steps * batch * input_size));
  std::vector<float> output_adjoint = random.uniform(std::size_t(steps * batch * output_size));
  rnnc::StateList initial, final_adjoint;
  for (std::int64_t size : sizes) {
    initial.push_back(random.uniform(std::size_t(batch * size), 0.5f));
    final_adjoint.push_back(random.uniform(std::size_t(batch * size)));
  }

  zero_gradients(layer);
  std::span<const float> batch_output = layer.forward({steps, batch, x, lengths, initial, true});
  std::vector<float> output(batch_output.begin(), batch_output.end());
  rnnc::StateList final_states = layer.final_states();
  std::span<const float> batch_input_adjoint = layer.backward(output_adjoint, final_adjoint);
  std::vector<float> input_adjoint(batch_input_adjoint.begin(), batch_input_adjoint.end());
  rnnc::StateList initial_adjoint = layer.initial_state_adjoints();
  std::vector<std::vector<float>> batch_gradients = gradients_of(layer);

  zero_gradients(layer);
  for (std::int64_t b = 0; b < batch; ++b) {
    INFO("sample " << b << " of length " << lengths[b]);
    const std::int64_t length = lengths[b];
    std::vector<float> sample_x = sample_rows(x, batch, input_size, b, 0, length);
    std::span<const float> alone = layer.forward({length, 1, sample_x, {}, sample_states(initial, sizes, b), true});
    check_close(alone, sample_rows(output, batch, output_size, b, 0, length));
    for (float value : sample_rows(output, batch, output_size, b, length, steps)) CHECK(value == 0.0f);
    for (std::size_t s = 0; s < sizes.size(); ++s) {
      check_close(layer.final_states()[s], sample_states(final_states, sizes, b)[s]);
    }
    std::vector<float> sample_adjoint = sample_rows(output_adjoint, batch, output_size, b, 0, length);
    std::span<const float> alone_adjoint = layer.backward(sample_adjoint, sample_states(final_adjoint, sizes, b));
    check_close(alone_adjoint, sample_rows(input_adjoint, batch, input_size, b, 0, length));
    for (float value : sample_rows(input_adjoint, batch, input_size, b, length, steps)) CHECK(value == 0.0f);
    for (std::size_t s = 0; s < sizes.size(); ++s) {
      check_close(layer.initial_state_adjoints()[s], sample_states(initial_adjoint, sizes, b)[s]);
    }
  }
  std::vector<std::vector<float>> summed_gradients = gradients_of(layer);
  for (std::size_t p = 0; p < batch_gradients.size(); ++p) {
    INFO("parameter " << layer.parameters("")[p].name);
    check_close(summed_gradients[p], batch_gradients[p]);
  }
}

}  // namespace

TEST_CASE("a padded batch equals its samples run one by one", "[layers][lengths]") {
  const std::string name = GENERATE("lstm", "gru");
  SECTION(name + ", one direction") {
    rnnc::RecurrentLayer layer(standard_cell(name));
    check_batch_equals_samples(layer);
  }
  SECTION(name + ", both directions") {
    rnnc::BidirectionalLayer layer(standard_cell(name), standard_cell(name), rnnc::Merge::concatenate);
    check_batch_equals_samples(layer);
  }
}

TEST_CASE("no lengths means every sample runs all steps", "[layers][lengths]") {
  rnnc::RecurrentLayer layer(standard_cell("lstm"));
  rnnc::Rng rng(3);
  layer.initialize(rnnc::WeightInit::pytorch_default, rng);
  std::vector<float> x = RandomData(2).uniform(4 * 2 * 3);
  const std::vector<std::int64_t> full = {4, 4};
  std::span<const float> with_lengths = layer.forward({4, 2, x, full, {}, false});
  std::vector<float> expected(with_lengths.begin(), with_lengths.end());
  check_close(layer.forward({4, 2, x, {}, {}, false}), expected);
}

TEST_CASE("inconsistent lengths and states are refused", "[layers][lengths]") {
  rnnc::RecurrentLayer layer(standard_cell("lstm"));
  std::vector<float> x(4 * 2 * 3);
  const std::vector<std::int64_t> too_long = {4, 5}, too_few = {4};
  CHECK_THROWS_WITH(layer.forward({4, 2, x, too_long, {}, false}), Catch::Contains("sample length 5 outside [0, 4]"));
  CHECK_THROWS_WITH(layer.forward({4, 2, x, too_few, {}, false}), Catch::Contains("1 lengths for a batch of 2"));
  rnnc::StateList one_state = {std::vector<float>(2 * 4)};
  CHECK_THROWS_WITH(layer.forward({4, 2, x, {}, one_state, false}), Catch::Contains("1 initial states, expected 2"));
  CHECK_THROWS_WITH(layer.forward({4, 3, x, {}, {}, false}), Catch::Contains("input has 24 floats, expected 36"));
  layer.forward({4, 2, x, {}, {}, false});
  CHECK_THROWS_WITH(layer.backward({}, {}), Catch::Contains("needs a training forward()"));
}
