// data_parallel_trainer: char_rnn's model and training step on a small
// synthetic text, with the cell and the optimizer to choose, for the
// data-parallel tests (tests/test_data_parallel.cpp). Run alone, or under
// mpirun with the same global batch, it saves the parameters and the
// optimizer state reached; it can also save a checkpoint mid-way, and make
// one rank kill itself at a given step.
#include <signal.h>

#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "char_model.h"
#include "corpus.h"
#include "model_checkpoint.h"
#include "project_files.h"
#include "rnnc/data_parallel.h"
#include "training_step.h"

namespace {

struct Options {
  std::string cell = "lstm", optimizer = "sgd";
  std::int64_t steps = 4, batch = 8, hidden = 12, layers = 2;
  float clip = 0.5f;  // low enough that clipping acts on every step
  std::size_t bucket_bytes = 1024;  // many buckets, some tensors cut across two
  std::string save_path;
  bool save_every_rank = false;
  std::int64_t checkpoint_step = 0, die_step = 0;
  int die_rank = 1;
};

constexpr std::int64_t kVocabulary = 11, kEmbedding = 6, kSteps = 8;
const std::string kSymbols = "abcdefghijk";

rnnc::Checkpoint checkpoint_of(const Options& options, const std::string& cell_text, std::int64_t step,
                               const char_rnn::NamedTensors& named) {
  return char_rnn::make_checkpoint(options.cell, cell_text, {kVocabulary, kEmbedding, options.hidden, options.layers},
                                   kSymbols, step, named);
}

int train(const Options& options, rnnc::DataParallel& group) {
  const std::string cell_text =
      rnnc::examples::read_text_file(rnnc::examples::find_project_file("dsl/" + options.cell + ".cell"));
  group.require_same_configuration({{"cell", options.cell},
                                    {"optimizer", options.optimizer},
                                    {"hidden", std::to_string(options.hidden)},
                                    {"layers", std::to_string(options.layers)},
                                    {"batch", std::to_string(options.batch)}});
  const std::int64_t local_batch = group.local_batch(options.batch, "the batch");

  // A text with some structure to learn: each token mostly follows from the one before.
  rnnc::Rng text_rng(7);
  std::vector<std::int32_t> tokens{0};
  while (tokens.size() < std::size_t(options.batch * kSteps * 3 + 1)) {
    const std::uint64_t jump = text_rng.below(4) == 0 ? text_rng.below(kVocabulary) : 1;
    tokens.push_back(std::int32_t((std::uint64_t(tokens.back()) + jump) % kVocabulary));
  }
  const char_rnn::StreamBatcher batches(tokens, options.batch, kSteps, group.rank() * local_batch, local_batch);

  const rnnc::CellSpec cell{{options.cell + ".cell", cell_text}, {{"H", options.hidden}}};
  char_rnn::CharModel model(cell, {.vocabulary = kVocabulary, .embedding = kEmbedding, .layers = options.layers,
                                   .dropout = 0, .seed = group.seed_for_rank(3)});
  std::vector<rnnc::TrainableTensor> parameters = model.parameters();
  std::unique_ptr<rnnc::Optimizer> optimizer =
      options.optimizer == "adam" ? rnnc::make_adam(parameters, {.learning_rate = 0.02f})
                                  : rnnc::make_sgd(parameters, {.learning_rate = 0.5f, .momentum = 0.9f});
  char_rnn::NamedTensors named;
  std::vector<std::span<float>> replicated;
  for (const rnnc::TrainableTensor& tensor : parameters) named.emplace_back(tensor.name, tensor.value);
  for (const auto& [name, values] : optimizer->state_tensors()) named.emplace_back("optimizer." + name, values);
  for (const auto& [name, values] : named) replicated.push_back(values);
  group.broadcast_from_leader(replicated);
  model.parameters_changed();

  rnnc::StateList state;
  for (std::int64_t step = 1; step <= options.steps; ++step) {
    if (step == options.die_step && group.rank() == options.die_rank) raise(SIGKILL);
    const float loss = char_rnn::train_step(model, batches, step - 1, state, *optimizer, group, options.clip);
    std::cout << fmt::format("step {} loss {:.6f}\n", step, loss);
    if (step == options.checkpoint_step && group.leads())
      rnnc::save_checkpoint(options.save_path + ".step" + std::to_string(step),
                            checkpoint_of(options, cell_text, step, named));
  }
  if (group.leads() || options.save_every_rank) {
    const std::string path =
        group.leads() ? options.save_path : fmt::format("{}.rank{}", options.save_path, group.rank());
    rnnc::save_checkpoint(path, checkpoint_of(options, cell_text, options.steps, named));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"data_parallel_trainer: char_rnn's training step on a small text, for the data-parallel tests."};
  Options options;
  app.add_option("--cell", options.cell, "a cell of dsl/ (lstm, gru)")->capture_default_str();
  app.add_option("--optimizer", options.optimizer, "sgd (with momentum) or adam")
      ->capture_default_str()
      ->check(CLI::IsMember({"sgd", "adam"}));
  app.add_option("--steps", options.steps, "training steps")->capture_default_str();
  app.add_option("--batch", options.batch, "global batch: streams over all ranks")->capture_default_str();
  app.add_option("--hidden", options.hidden, "hidden size")->capture_default_str();
  app.add_option("--layers", options.layers, "recurrent layers")->capture_default_str();
  app.add_option("--bucket-bytes", options.bucket_bytes, "most bytes per MPI_Allreduce call")->capture_default_str();
  app.add_option("--save", options.save_path, "checkpoint after the last step (rank 0)")->required();
  app.add_flag("--save-every-rank", options.save_every_rank, "every other rank saves its replica as SAVE.rankN too");
  app.add_option("--checkpoint-step", options.checkpoint_step, "also save SAVE.stepN after this step (rank 0)");
  app.add_option("--die-step", options.die_step, "the rank --die-rank kills itself before this step");
  app.add_option("--die-rank", options.die_rank, "which rank dies")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return rnnc::run_data_parallel(
      "data_parallel_trainer", [&](rnnc::DataParallel& group) { return train(options, group); }, options.bucket_bytes);
}
