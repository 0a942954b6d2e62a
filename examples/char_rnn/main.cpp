// char_rnn: a character-level language model with an LSTM compiled from
// dsl/lstm.cell, trained with truncated backpropagation through time on a
// text (by default the license texts that every Debian system has), its last
// 10 % held out for validation; then it samples text from what it learned.
// Under `mpirun -np N` the N processes train it together, data-parallel.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "char_model.h"
#include "corpus.h"
#include "model_checkpoint.h"
#include "project_files.h"
#include "rnnc/data_parallel.h"
#include "rnnc/progress.h"
#include "training_step.h"

namespace {

using char_rnn::CharModel;
using char_rnn::StreamBatcher;
using char_rnn::Vocabulary;

struct Options {
  std::string text_path;
  // Defaults measured to train in under 3 minutes on one core.
  std::int64_t steps = 1200;
  std::int64_t hidden = 192;
  std::int64_t layers = 2;
  std::int64_t batch = 16;
  float dropout = 0.4f;
  std::uint64_t seed = 1;
  std::string save_path, load_path;
  std::int64_t sample_length = 400;
  float temperature = 0.8f;
  bool quiet = false;
  std::string curve_path = "char_rnn_loss.csv";
};

// Training: --batch streams of 64 characters per step, Adam, gradient norm
// clipped at 5; the learning rate decays linearly to a tenth over the
// second half of the run, which settles the validation loss at its best.
constexpr std::int64_t kSteps = 64, kEmbedding = 64;
constexpr float kLearningRate = 3e-3f, kClipNorm = 5.0f;
// Evaluation reads the text as one stream, so that every character but the
// first has all the context before it.
constexpr std::int64_t kEvalBatch = 1, kEvalSteps = 64;
constexpr std::int64_t kEvalEvery = 100;

float learning_rate_at(std::int64_t step, std::int64_t steps) {
  const double decayed = std::clamp(2.0 * double(step) / double(steps) - 1.0, 0.0, 1.0);  // 0 until half-way
  return kLearningRate * float(1.0 - 0.9 * decayed);
}

struct Text {
  std::string name, contents;
};

// The license texts of /usr/share/common-licenses (Debian's base-files:
// every Debian system has them), each file once (the links there are
// aliases), in name order: about 240,000 characters, so the last 10 % held
// out are whole licenses (the MPL) the model has not read. Without them,
// the language reference this project ships.
Text default_text() {
  namespace fs = std::filesystem;
  const fs::path licenses = "/usr/share/common-licenses";
  std::vector<fs::path> files;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(licenses, error)) {
    if (entry.is_regular_file(error) && !entry.is_symlink(error)) files.push_back(entry.path());
  }
  if (files.empty()) {
    const std::string fallback = rnnc::examples::find_project_file("dsl/README.md");
    return {fallback, rnnc::examples::read_text_file(fallback)};
  }
  std::sort(files.begin(), files.end());
  Text text{licenses.string() + "/*", ""};
  for (const fs::path& file : files) text.contents += rnnc::examples::read_text_file(file.string());
  return text;
}

// The mean loss per character over `tokens`, without gradients; each rank
// reads its slice of them as one stream.
float evaluate(CharModel& model, const std::vector<std::int32_t>& tokens, rnnc::DataParallel& group) {
  const rnnc::Slice slice = group.slice_of(std::int64_t(tokens.size()));
  const std::vector<std::int32_t> part(tokens.begin() + slice.first, tokens.begin() + slice.first + slice.count);
  StreamBatcher batches(part, kEvalBatch, kEvalSteps);
  std::vector<std::int32_t> inputs, targets;
  rnnc::StateList state;
  std::array<double, 2> total_and_chunks{0, double(batches.chunks_per_pass())};
  for (std::int64_t chunk = 0; chunk < batches.chunks_per_pass(); ++chunk) {
    batches.chunk(chunk, inputs, targets);
    total_and_chunks[0] += model.loss(inputs, targets, kEvalSteps, kEvalBatch, state);
  }
  group.sum(total_and_chunks);
  return float(total_and_chunks[0] / total_and_chunks[1]);
}

// `length` characters drawn one at a time from softmax(log p / temperature),
// starting after a newline (or the first symbol).
std::string sample(CharModel& model, const Vocabulary& vocabulary, std::int64_t length, float temperature,
                   rnnc::Rng& rng) {
  std::int64_t unused;
  std::vector<std::int32_t> start = vocabulary.encode("\n", unused);
  std::int32_t token = start.empty() ? 0 : start[0];
  rnnc::StateList state;
  std::string text;
  std::vector<double> weights;
  for (std::int64_t i = 0; i < length; ++i) {
    std::span<const float> log_probabilities = model.next(token, state);
    const float top = *std::ranges::max_element(log_probabilities);
    weights.clear();
    double total = 0;
    for (float value : log_probabilities) total += weights.emplace_back(std::exp((value - top) / temperature));
    double pick = rng.uniform(0.0f, 1.0f) * total;
    token = 0;
    while (token + 1 < std::int32_t(weights.size()) && pick >= weights[std::size_t(token)]) {
      pick -= weights[std::size_t(token++)];
    }
    text.push_back(vocabulary.decode(token));
  }
  return text;
}

// What every rank must agree on to train one model.
rnnc::Configuration configuration_of(const Options& options, const std::string& cell_text, const std::string& text,
                                     const char_rnn::ModelShape& shape) {
  const std::string loaded =
      options.load_path.empty() ? "none" : rnnc::fingerprint(rnnc::examples::read_text_file(options.load_path));
  return {{"cell", rnnc::fingerprint(cell_text)},
          {"text", rnnc::fingerprint(text)},
          {"load", loaded},
          {"vocabulary", std::to_string(shape.vocabulary)},
          {"embedding", std::to_string(shape.embedding)},
          {"hidden", std::to_string(shape.hidden)},
          {"layers", std::to_string(shape.layers)},
          {"batch", std::to_string(options.batch)},
          {"steps", std::to_string(options.steps)},
          {"dropout", fmt::format("{}", options.dropout)},
          {"seed", std::to_string(options.seed)}};
}

int run(const Options& options, rnnc::DataParallel& group) {
  const std::string cell_path = rnnc::examples::find_project_file("dsl/lstm.cell");
  const std::string cell_text = rnnc::examples::read_text_file(cell_path);
  const Text corpus = options.text_path.empty()
                          ? default_text()
                          : Text{options.text_path, rnnc::examples::read_text_file(options.text_path)};
  const std::string& text_path = corpus.name;
  const std::string& text = corpus.contents;

  std::optional<rnnc::Checkpoint> loaded;
  if (!options.load_path.empty()) loaded = rnnc::load_checkpoint(options.load_path);
  const Vocabulary vocabulary = loaded ? Vocabulary(char_rnn::vocabulary_of(*loaded)) : Vocabulary::of_text(text);
  const char_rnn::ModelShape shape =
      loaded ? char_rnn::shape_of(*loaded) : char_rnn::ModelShape{vocabulary.size(), kEmbedding, options.hidden, options.layers};
  std::int64_t skipped = 0;
  const std::vector<std::int32_t> tokens = vocabulary.encode(text, skipped);
  if (skipped > 0) std::cout << fmt::format("{} characters of {} are not in the vocabulary; left out\n", skipped, text_path);
  const std::size_t held_out = tokens.size() / 10;
  const std::vector<std::int32_t> train(tokens.begin(), tokens.end() - std::ptrdiff_t(held_out));
  const std::vector<std::int32_t> validation(tokens.end() - std::ptrdiff_t(held_out), tokens.end());

  group.require_same_configuration(configuration_of(options, cell_text, text, shape));
  const std::int64_t local_batch = group.local_batch(options.batch, "the batch");

  const rnnc::CellSpec cell{{cell_path, cell_text}, {{"H", shape.hidden}}};
  // Each rank its own dropout masks; the weights are rank 0's (broadcast below).
  CharModel model(cell, {.vocabulary = shape.vocabulary, .embedding = shape.embedding, .layers = shape.layers,
                         .dropout = options.dropout, .seed = group.seed_for_rank(options.seed)});
  std::vector<rnnc::TrainableTensor> parameters = model.parameters();
  std::unique_ptr<rnnc::Optimizer> adam = rnnc::make_adam(parameters, {.learning_rate = kLearningRate});
  char_rnn::NamedTensors named;
  for (const rnnc::TrainableTensor& tensor : parameters) named.emplace_back(tensor.name, tensor.value);
  for (const auto& [name, values] : adam->state_tensors()) named.emplace_back("adam." + name, values);
  auto checkpoint_at = [&](std::int64_t step) {
    return char_rnn::make_checkpoint("lstm", cell_text, shape, vocabulary.symbols(), step, named);
  };
  std::int64_t first_step = 0;
  if (loaded) {
    first_step = char_rnn::step_of(*loaded);
    char_rnn::restore(*loaded, checkpoint_at(first_step), named);
  }
  std::vector<std::span<float>> replicated;
  for (const auto& [name, values] : named) replicated.push_back(values);
  group.broadcast_from_leader(replicated);
  model.parameters_changed();

  std::cout << fmt::format("text: {} ({} characters, vocabulary {}), training on {}, validating on {}\n", text_path,
                           tokens.size(), vocabulary.size(), train.size(), validation.size());
  std::cout << fmt::format("model: embedding {} -> lstm H={} x {} layers -> softmax {}; batch {} x {} steps\n",
                           shape.embedding, shape.hidden, shape.layers, shape.vocabulary, options.batch, kSteps);
  double chars_per_second = 0;
  if (options.steps > 0) {
    StreamBatcher batches(train, options.batch, kSteps, group.rank() * local_batch, local_batch);
    rnnc::LossCurve curve;
    rnnc::StateList state;
    double loss_since_eval = 0;
    const auto start = std::chrono::steady_clock::now();
    {
      rnnc::ProgressReporter progress(options.steps, options.quiet, std::cout, "chars/s");
      for (std::int64_t step = 1; step <= options.steps; ++step) {
        adam->set_learning_rate(learning_rate_at(step, options.steps));
        const float loss = char_rnn::train_step(model, batches, first_step + step - 1, state, *adam, group, kClipNorm);
        loss_since_eval += loss;
        progress.update(step, loss, double(step * options.batch * kSteps));
        if (step % kEvalEvery == 0 || step == options.steps) {
          std::int64_t steps_since_eval = (step - 1) % kEvalEvery + 1;
          curve.add(first_step + step, loss_since_eval / double(steps_since_eval), evaluate(model, validation, group));
          loss_since_eval = 0;
        }
      }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    chars_per_second = double(options.steps * options.batch * kSteps) / seconds;
    if (group.leads()) {
      curve.write_csv(options.curve_path);
      const std::string png = std::filesystem::path(options.curve_path).replace_extension(".png").string();
      std::cout << "loss curve: " << options.curve_path << (curve.write_png(png) ? " and " + png : "") << "\n";
    }
    if (group.ranks() > 1) {
      std::cout << fmt::format("data parallel: {} ranks of batch {}, {} allreduce calls per step, {:.1f} % of the "
                               "training time in the gradient allreduce (rank 0)\n",
                               group.ranks(), local_batch, group.allreduce_calls() / options.steps,
                               100 * group.gradient_seconds() / seconds);
    }
  }
  if (!options.save_path.empty() && group.leads()) {
    rnnc::save_checkpoint(options.save_path, checkpoint_at(first_step + options.steps));
    std::cout << "saved " << options.save_path << "\n";
  }
  if (options.sample_length > 0 && group.leads()) {
    rnnc::Rng rng(options.seed);
    std::cout << "--- sample (temperature " << options.temperature << ") ---\n"
              << sample(model, vocabulary, options.sample_length, options.temperature, rng) << "\n---\n";
  }
  const float train_loss = evaluate(model, train, group), validation_loss = evaluate(model, validation, group);
  std::cout << fmt::format("final: train_loss={:.4f} val_loss={:.4f} chars_per_s={:.0f}\n", train_loss,
                           validation_loss, chars_per_second);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"char_rnn: a character-level LSTM language model compiled by rnnc."};
  Options options;
  app.add_option("--text", options.text_path, "text to train on (default: the license texts in /usr/share/common-licenses)")
      ->check(CLI::ExistingFile);
  app.add_option("--steps", options.steps, "training steps (0: only load and sample)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--hidden", options.hidden, "LSTM hidden size")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--layers", options.layers, "stacked LSTM layers")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--batch", options.batch, "streams read side by side")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--dropout", options.dropout, "dropout rate around the LSTM in training")
      ->capture_default_str()
      ->check(CLI::Range(0.0f, 0.9f));
  app.add_option("--seed", options.seed, "seed of the weights, the sample and dropout")->capture_default_str();
  app.add_option("--save", options.save_path, "write a checkpoint here after training");
  app.add_option("--load", options.load_path, "start from this checkpoint")->check(CLI::ExistingFile);
  app.add_option("--sample", options.sample_length, "characters to sample at the end")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--temperature", options.temperature, "sampling temperature")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--curve", options.curve_path, "loss curve CSV (a PNG beside it when gnuplot is installed)")
      ->capture_default_str();
  app.add_flag("--quiet", options.quiet, "no progress lines");
  CLI11_PARSE(app, argc, argv);
  return rnnc::run_data_parallel("char_rnn", [&](rnnc::DataParallel& group) { return run(options, group); });
}
