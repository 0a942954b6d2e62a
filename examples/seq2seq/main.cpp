// seq2seq: a GRU encoder-decoder compiled from dsl/gru.cell learns to write
// English number words as digits ("forty two thousand seven hundred three"
// -> "42703") for 0..99,999, and is scored by exact match on numbers it
// never saw in training.
#include <chrono>
#include <iostream>
#include <numeric>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "number_task.h"
#include "project_files.h"
#include "rnnc/progress.h"
#include "translator.h"

namespace {

using seq2seq::Translator;

struct Options {
  std::int64_t steps = 2000;
  std::int64_t hidden = 256;
  std::int64_t batch = 64;
  std::int64_t test_pairs = 2000;
  std::uint64_t seed = 1;
  bool quiet = false;
};

constexpr float kLearningRate = 2e-3f, kClipNorm = 5.0f;
constexpr std::int64_t kMaxDigits = 5, kEvalEvery = 500;

std::string digits_text(const std::vector<std::int32_t>& digits) {
  std::string text;
  for (std::int32_t digit : digits) text.push_back(char('0' + digit));
  return text;
}

// The share of `numbers` that greedy decoding writes exactly right.
double exact_match(Translator& model, const std::vector<std::int32_t>& numbers) {
  const std::int64_t chunk = 500;
  std::int64_t correct = 0;
  for (std::size_t first = 0; first < numbers.size(); first += chunk) {
    std::span<const std::int32_t> part = std::span(numbers).subspan(first, std::min<std::size_t>(chunk, numbers.size() - first));
    std::vector<std::vector<std::int32_t>> decoded = model.translate(seq2seq::make_batch(part), kMaxDigits);
    for (std::size_t i = 0; i < part.size(); ++i) correct += decoded[i] == seq2seq::digit_tokens(part[i]);
  }
  return double(correct) / double(numbers.size());
}

int run(const Options& options) {
  // Every number once, shuffled; the first test_pairs are never trained on.
  std::vector<std::int32_t> numbers(seq2seq::kLargestNumber + 1);
  std::iota(numbers.begin(), numbers.end(), 0);
  rnnc::Rng rng(options.seed);
  for (std::size_t i = numbers.size() - 1; i > 0; --i) std::swap(numbers[i], numbers[rng.below(i + 1)]);
  const std::vector<std::int32_t> test(numbers.begin(), numbers.begin() + options.test_pairs);
  const std::vector<std::int32_t> train(numbers.begin() + options.test_pairs, numbers.end());

  const rnnc::CellSpec gru = rnnc::CellSpec::from_file(rnnc::examples::find_project_file("dsl/gru.cell"),
                                                       {{"H", options.hidden}});
  Translator model(gru, {.seed = options.seed});
  std::vector<rnnc::TrainableTensor> parameters = model.parameters();
  std::unique_ptr<rnnc::Optimizer> adam = rnnc::make_adam(parameters, {.learning_rate = kLearningRate});
  std::cout << fmt::format("task: number words -> digits, {} training numbers, {} held out; gru H={}, batch {}\n",
                           train.size(), test.size(), options.hidden, options.batch);

  std::vector<std::int32_t> picked(std::size_t(options.batch));
  const auto start = std::chrono::steady_clock::now();
  {
    rnnc::ProgressReporter progress(options.steps, options.quiet, std::cout, "pairs/s");
    for (std::int64_t step = 1; step <= options.steps; ++step) {
      for (std::int32_t& number : picked) number = train[rng.below(train.size())];
      if (step > options.steps * 3 / 4) adam->set_learning_rate(kLearningRate / 4);
      adam->zero_gradients();
      const float loss = model.train_step(seq2seq::make_batch(picked));
      rnnc::clip_gradient_norm(parameters, kClipNorm);
      adam->step();
      model.parameters_changed();
      progress.update(step, loss, double(step * options.batch));
      if (!options.quiet && step % kEvalEvery == 0) {
        std::cout << fmt::format("\nstep {}: held-out exact match {:.4f}\n", step, exact_match(model, test));
      }
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<std::int32_t> shown(test.begin(), test.begin() + std::min<std::int64_t>(5, options.test_pairs));
  std::vector<std::vector<std::int32_t>> decoded = model.translate(seq2seq::make_batch(shown), kMaxDigits);
  for (std::size_t i = 0; i < shown.size(); ++i) {
    std::cout << fmt::format("{} -> {}\n", seq2seq::number_to_words(shown[i]), digits_text(decoded[i]));
  }
  std::cout << fmt::format("trained {} steps in {:.1f} s\n", options.steps, seconds);
  std::cout << fmt::format("final: exact_match={:.4f} test_pairs={}\n", exact_match(model, test), test.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"seq2seq: a GRU encoder-decoder compiled by rnnc writes number words as digits."};
  Options options;
  app.add_option("--steps", options.steps, "training steps")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--hidden", options.hidden, "GRU hidden size")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--batch", options.batch, "numbers per step")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--test-pairs", options.test_pairs, "numbers held out for the test")
      ->capture_default_str()
      ->check(CLI::Range(1, 50'000));
  app.add_option("--seed", options.seed, "seed of the split, the weights and the batches")->capture_default_str();
  app.add_flag("--quiet", options.quiet, "no progress lines");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(options);
  } catch (const rnnc::RuntimeError& error) {
    std::cerr << "seq2seq: error: " << error.what() << "\n";
    return 1;
  }
}
