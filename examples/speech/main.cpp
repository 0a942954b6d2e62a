// speech: a recognizer of spoken English numbers. The default run
// synthesizes its training data (espeak-ng and flite voices varied by sox),
// trains a word-level LSTM language model and a bidirectional LSTM
// acoustic model with the CTC loss, tunes the decoder on held-out
// synthetic voices, and measures word error rates on other held-out
// synthetic voices and on a real human voice it never heard.
// `speech recognize FILE.wav ...` transcribes with a saved model.
// Under `mpirun -np N` the N processes train the acoustic model together,
// data-parallel; rank 0 evaluates and saves.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <numeric>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "number_words.h"
#include "phrases.h"
#include "project_files.h"
#include "real_voice.h"
#include "rnnc/ctc_loss.h"
#include "rnnc/data_parallel.h"
#include "rnnc/progress.h"
#include "speech_model.h"
#include "synthetic_speech.h"
#include "word_errors.h"

namespace {

using speech::Features;
using speech::SpeechModel;
using speech::Utterance;

struct TrainOptions {
  std::string data = "speech_data";
  std::int64_t train_utterances = 8000, dev_utterances = 200, test_utterances = 300, real_utterances = 300;
  std::int64_t epochs = 18, batch = 16;
  std::int64_t hidden = 128, layers = 2;
  float dropout = 0.2f;
  bool spec_augment = true, warp_frequencies = true;
  std::int64_t lm_phrases = 20000, lm_steps = 800;
  std::uint64_t seed = 1;
  int jobs = int(std::max(1u, std::thread::hardware_concurrency()));
  std::string save_path = "speech_model.ckpt";
  std::string curve_path = "speech_loss.csv";
  bool quiet = false;
};

constexpr float kLearningRate = 2e-3f, kClipNorm = 10.0f;
constexpr float kLowestWarp = 0.9f, kHighestWarp = 1.1f;  // vocal tract length factors in training
constexpr float kLmLearningRate = 3e-3f;
constexpr std::int64_t kLmBatch = 64;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// An utterance ready for the models: features, reference words, labels.
struct Example {
  Features features;
  std::vector<std::string> words;
  std::vector<std::int32_t> labels;
  double seconds = 0;
};

std::vector<std::int32_t> phoneme_labels(const speech::Lexicon& lexicon, const std::vector<std::string>& words) {
  std::vector<std::int32_t> labels;
  for (const std::string& word : words) {
    const std::int32_t index = lexicon.word_index(word);
    if (index < 0) throw rnnc::RuntimeError(fmt::format("'{}' is not in the lexicon", word));
    const auto& pronunciation = lexicon.pronunciations[std::size_t(index)];
    labels.insert(labels.end(), pronunciation.begin(), pronunciation.end());
  }
  return labels;
}

std::vector<Example> load_examples(SpeechModel& model, const std::vector<Utterance>& utterances) {
  std::vector<Example> examples;
  for (const Utterance& utterance : utterances) {
    const speech::Audio audio = speech::read_audio(utterance.audio_path);
    examples.push_back({model.features(audio.samples), utterance.words,
                        phoneme_labels(model.lexicon(), utterance.words), audio.seconds()});
  }
  return examples;
}

// The CTC loss needs at least a step per phoneme (and a blank between
// repeats): utterances spoken faster than that cannot be learned from.
std::vector<Example> learnable(std::vector<Example> examples, const std::string& split) {
  const auto too_fast = [](const Example& example) {
    return example.features.frames < rnnc::ctc_min_frames(example.labels);
  };
  const std::ptrdiff_t dropped = std::erase_if(examples, too_fast);
  if (dropped > 0) std::cout << fmt::format("{}: {} utterances too fast for their phonemes, left out\n", split, dropped);
  return examples;
}

std::vector<Utterance> synthesize(const TrainOptions& options, const std::string& split,
                                  const std::vector<speech::Voice>& voices, std::int64_t count, std::uint64_t seed) {
  std::cout << fmt::format("{}: {} utterances by {} synthetic voices\n", split, count, voices.size());
  rnnc::ProgressReporter progress(count, options.quiet, std::cout, "utterances/s");
  return speech::synthesize_utterances(options.data, {split, voices, count, seed}, options.jobs,
                                       [&](std::int64_t done) { progress.update(done, std::nan(""), double(done)); });
}

// Batches of utterances of similar length (less padding), in random order.
std::vector<std::vector<std::size_t>> length_batches(const std::vector<Example>& examples, std::int64_t batch,
                                                     rnnc::Rng& rng) {
  std::vector<std::size_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[std::size_t(rng.below(i))]);
  // Sort within windows of 50 batches: similar lengths, but not the same batches every epoch.
  const std::size_t window = std::size_t(batch) * 50;
  for (std::size_t first = 0; first < order.size(); first += window) {
    auto end = order.begin() + std::ptrdiff_t(std::min(order.size(), first + window));
    std::sort(order.begin() + std::ptrdiff_t(first), end,
              [&](std::size_t a, std::size_t b) { return examples[a].features.frames < examples[b].features.frames; });
  }
  std::vector<std::vector<std::size_t>> batches;
  for (std::size_t first = 0; first < order.size(); first += std::size_t(batch)) {
    batches.emplace_back(order.begin() + std::ptrdiff_t(first),
                         order.begin() + std::ptrdiff_t(std::min(order.size(), first + std::size_t(batch))));
  }
  for (std::size_t i = batches.size(); i > 1; --i) std::swap(batches[i - 1], batches[std::size_t(rng.below(i))]);
  return batches;
}

std::vector<speech::LabelledUtterance> labelled(std::span<const Example> examples) {
  std::vector<speech::LabelledUtterance> batch;
  for (const Example& example : examples) batch.push_back({&example.features, example.labels});
  return batch;
}

// Each rank its slice of `examples`.
double mean_loss(SpeechModel& model, const std::vector<Example>& examples, rnnc::DataParallel& group) {
  constexpr std::size_t kBatch = 32;
  const rnnc::Slice slice = group.slice_of(std::int64_t(examples.size()));
  const std::span<const Example> part = std::span(examples).subspan(std::size_t(slice.first), std::size_t(slice.count));
  double total = 0;
  for (std::size_t first = 0; first < part.size(); first += kBatch) {
    const std::span<const Example> batch = part.subspan(first, std::min(kBatch, part.size() - first));
    total += model.acoustic().loss(labelled(batch)) * double(batch.size());
  }
  group.sum({&total, 1});
  return total / double(std::max<std::size_t>(examples.size(), 1));
}

// Every rank draws the same batches and the same warps and masks for every
// utterance of them (the same random stream), and trains on its slice of each.
void train_acoustic_model(SpeechModel& model, const std::vector<Example>& train, const std::vector<Example>& dev,
                          const TrainOptions& options, rnnc::DataParallel& group) {
  std::vector<rnnc::TrainableTensor> parameters = model.acoustic().parameters();
  std::unique_ptr<rnnc::Optimizer> adam = rnnc::make_adam(parameters, {.learning_rate = kLearningRate});
  rnnc::Rng rng(options.seed + 11);
  const std::int64_t batches_per_epoch = (std::int64_t(train.size()) + options.batch - 1) / options.batch;
  const std::int64_t total_steps = batches_per_epoch * options.epochs;
  const std::vector<double> band_centres = model.log_mel().band_centres();
  const double nyquist = speech::kSampleRate / 2.0;
  rnnc::LossCurve curve;
  rnnc::ProgressReporter progress(total_steps, options.quiet, std::cout, "utterances/s");
  std::int64_t step = 0;
  for (std::int64_t epoch = 1; epoch <= options.epochs; ++epoch) {
    double epoch_loss = 0;
    for (const std::vector<std::size_t>& indices : length_batches(train, options.batch, rng)) {
      // Constant, then down to a tenth over the last third.
      const double fraction = double(step) / double(total_steps);
      adam->set_learning_rate(kLearningRate * float(1.0 - 0.9 * std::clamp(3.0 * fraction - 2.0, 0.0, 1.0)));
      adam->zero_gradients();
      const rnnc::Slice slice = group.slice_of(std::int64_t(indices.size()));  // the last batch may be short
      // Copies, warped and masked afresh each epoch: this rank's slice, and the
      // others' (warped and masked here too, only to keep the random stream in step).
      std::vector<Example> batch, others;
      for (std::size_t i = 0; i < indices.size(); ++i) {
        const bool mine = std::int64_t(i) >= slice.first && std::int64_t(i) < slice.first + slice.count;
        std::vector<Example>& into = mine ? batch : others;
        into.push_back(train[indices[i]]);
        if (options.warp_frequencies) {
          const double factor = rng.uniform(kLowestWarp, kHighestWarp);
          speech::warp_frequencies(into.back().features, band_centres, nyquist, factor);
        }
        if (options.spec_augment) speech::mask_bands_and_steps(into.back().features, model.bands(), rng);
      }
      const double local_loss = batch.empty() ? 0 : model.acoustic().train_step(labelled(batch));
      const double loss =
          group.combine_gradients(parameters, local_loss, double(batch.size()) / double(indices.size()));
      rnnc::clip_gradient_norm(parameters, kClipNorm);
      adam->step();
      model.acoustic().parameters_changed();
      epoch_loss += loss * double(indices.size());
      ++step;
      progress.update(step, loss, double(step * options.batch));
    }
    curve.add(step, epoch_loss / double(train.size()), mean_loss(model, dev, group));
  }
  if (!group.leads()) return;
  curve.write_csv(options.curve_path);
  const std::string png = std::filesystem::path(options.curve_path).replace_extension(".png").string();
  std::cout << "loss curve: " << options.curve_path << (curve.write_png(png) ? " and " + png : "") << "\n";
}

std::vector<speech::Sentence> random_sentences(const speech::Lexicon& lexicon, std::int64_t count, rnnc::Rng& rng) {
  std::vector<speech::Sentence> sentences;
  for (std::int64_t i = 0; i < count; ++i) {
    speech::Sentence sentence;
    for (const std::string& word : speech::random_phrase(rng)) sentence.push_back(lexicon.word_index(word));
    sentences.push_back(std::move(sentence));
  }
  return sentences;
}

// Trains the LM on number phrases; returns its held-out perplexity and the unigram baseline's.
std::pair<double, double> train_language_model(SpeechModel& model, const TrainOptions& options) {
  rnnc::Rng rng(options.seed + 23);
  const std::vector<speech::Sentence> train = random_sentences(model.lexicon(), options.lm_phrases, rng);
  const std::vector<speech::Sentence> held_out = random_sentences(model.lexicon(), 2000, rng);
  std::vector<rnnc::TrainableTensor> parameters = model.language().parameters();
  std::unique_ptr<rnnc::Optimizer> adam = rnnc::make_adam(parameters, {.learning_rate = kLmLearningRate});
  rnnc::ProgressReporter progress(options.lm_steps, options.quiet, std::cout, "phrases/s");
  for (std::int64_t step = 0; step < options.lm_steps; ++step) {
    const std::size_t first = std::size_t(step * kLmBatch) % (train.size() - kLmBatch + 1);
    adam->set_learning_rate(kLmLearningRate * float(1.0 - 0.9 * double(step) / double(options.lm_steps)));
    adam->zero_gradients();
    const double loss = model.language().train_step(std::span(train).subspan(first, kLmBatch));
    rnnc::clip_gradient_norm(parameters, 5.0f);
    adam->step();
    model.language().parameters_changed();
    progress.update(step + 1, loss, double((step + 1) * kLmBatch));
  }
  return {speech::perplexity(model.language(), held_out),
          speech::unigram_perplexity(train, held_out, std::int32_t(model.lexicon().words.size()))};
}

std::vector<std::vector<float>> log_posteriors(SpeechModel& model, const std::vector<Example>& examples) {
  std::vector<std::vector<float>> posteriors;
  for (std::size_t first = 0; first < examples.size(); first += 32) {
    std::vector<const Features*> batch;
    for (std::size_t i = first; i < std::min(examples.size(), first + 32); ++i) batch.push_back(&examples[i].features);
    for (std::vector<float>& rows : model.acoustic().log_posteriors(batch)) posteriors.push_back(std::move(rows));
  }
  return posteriors;
}

speech::WordErrors word_errors(SpeechModel& model, const std::vector<Example>& examples,
                               const std::vector<std::vector<float>>& posteriors, bool greedy) {
  speech::WordErrors errors;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    errors.add(examples[i].words, model.words_of(model.decode(posteriors[i], greedy)));
  }
  return errors;
}

// Per voice variant (espeak-ng's "+f4" in any accent, each flite voice).
std::map<std::string, speech::WordErrors> errors_by_variant(SpeechModel& model, const std::vector<Utterance>& set,
                                                            const std::vector<Example>& examples,
                                                            const std::vector<std::vector<float>>& posteriors) {
  std::map<std::string, speech::WordErrors> errors;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    const std::size_t plus = set[i].voice.find('+');
    const std::string variant = plus == std::string::npos ? set[i].voice : set[i].voice.substr(plus + 1);
    errors[variant].add(examples[i].words, model.words_of(model.decode(posteriors[i], false)));
  }
  return errors;
}

// The LM weight and word bonus with the lowest word error rate on `dev`.
void tune_decoder(SpeechModel& model, const std::vector<Example>& dev) {
  const std::vector<std::vector<float>> posteriors = log_posteriors(model, dev);
  speech::DecoderSettings best = model.decoder();
  double best_rate = 2;
  for (double weight : {0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0}) {
    for (double bonus : {-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0}) {
      model.decoder().lm_weight = weight;
      model.decoder().word_bonus = bonus;
      const double rate = word_errors(model, dev, posteriors, false).rate();
      if (rate < best_rate) best_rate = rate, best = model.decoder();
    }
  }
  model.decoder() = best;
  std::cout << fmt::format("decoder tuned on dev voices: lm_weight {} word_bonus {} beam {} (dev WER {:.4f})\n",
                           best.lm_weight, best.word_bonus, best.beam, best_rate);
}

// What every rank must agree on to train one model.
rnnc::Configuration configuration_of(const TrainOptions& options, const std::string& lexicon_path) {
  return {{"lexicon", rnnc::fingerprint(rnnc::examples::read_text_file(lexicon_path))},
          {"train_utterances", std::to_string(options.train_utterances)},
          {"dev_utterances", std::to_string(options.dev_utterances)},
          {"epochs", std::to_string(options.epochs)},
          {"batch", std::to_string(options.batch)},
          {"hidden", std::to_string(options.hidden)},
          {"layers", std::to_string(options.layers)},
          {"dropout", fmt::format("{}", options.dropout)},
          {"spec_augment", std::to_string(options.spec_augment)},
          {"warp", std::to_string(options.warp_frequencies)},
          {"lm_phrases", std::to_string(options.lm_phrases)},
          {"lm_steps", std::to_string(options.lm_steps)},
          {"seed", std::to_string(options.seed)}};
}

// Rank 0's weights on every rank (each rank's own seed gave it its own
// dropout masks, and other initial weights).
void broadcast_weights(SpeechModel& model, rnnc::DataParallel& group) {
  std::vector<std::span<float>> weights;
  for (const rnnc::TrainableTensor& tensor : model.acoustic().parameters()) weights.push_back(tensor.value);
  for (const rnnc::TrainableTensor& tensor : model.language().parameters()) weights.push_back(tensor.value);
  group.broadcast_from_leader(weights);
  model.acoustic().parameters_changed();
  model.language().parameters_changed();
}

int train_and_evaluate(const TrainOptions& options, rnnc::DataParallel& group) {
  const auto start = std::chrono::steady_clock::now();
  const std::string lexicon_path = rnnc::examples::find_project_file("examples/speech/lexicon.txt");
  group.require_same_configuration(configuration_of(options, lexicon_path));
  group.local_batch(options.batch, "the batch");
  SpeechModel model(speech::read_lexicon(lexicon_path), {.hidden = options.hidden, .layers = options.layers},
                    options.dropout, group.seed_for_rank(options.seed));
  broadcast_weights(model, group);

  // Rank 0 fills the data cache; the others then find it filled (or, on
  // other machines, make the same files).
  const speech::VoiceSplit& voices = speech::synthetic_voices();
  std::vector<Utterance> train_set, dev_set, test_set, real_set;
  group.leader_first([&] {
    train_set = synthesize(options, "train", voices.train, options.train_utterances, options.seed);
    dev_set = synthesize(options, "dev", voices.dev, options.dev_utterances, options.seed + 1);
    test_set = synthesize(options, "test", voices.test, options.test_utterances, options.seed + 2);
    real_set =
        speech::real_voice_utterances(options.data, speech::kAsteriskDigits, options.real_utterances, options.seed + 3);
  });
  std::cout << fmt::format("real voice: {} utterances from {}\n", real_set.size(), speech::kAsteriskDigits);
  const std::vector<Example> train = learnable(load_examples(model, train_set), "train");
  const std::vector<Example> dev = learnable(load_examples(model, dev_set), "dev");
  const std::vector<Example> test = load_examples(model, test_set), real = load_examples(model, real_set);
  double train_seconds = 0;
  for (const Example& example : train) train_seconds += example.seconds;
  std::cout << fmt::format("data ready in {:.0f} s: {:.1f} minutes of training audio\n", seconds_since(start),
                           train_seconds / 60);

  std::cout << fmt::format("language model: embedding {} -> lstm H={} -> softmax {} ({} parameters)\n",
                           model.shape().lm_embedding, model.shape().lm_hidden, model.lexicon().words.size() + 1,
                           model.language().parameter_count());
  // Small (seconds): every rank trains the same one, without dropout, so
  // the replicas stay equal without communication.
  const auto [lm_perplexity, unigram] = train_language_model(model, options);
  std::cout << fmt::format("language model perplexity on held-out phrases: {:.3f} (unigram {:.3f})\n", lm_perplexity,
                           unigram);

  std::cout << fmt::format(
      "acoustic model: {} log-mel x {} frames -> bidirectional lstm H={} x {} layers -> {} classes ({} parameters), "
      "{} epochs of batches of {}\n",
      model.bands(), model.shape().stack, options.hidden, options.layers, model.lexicon().classes(),
      model.acoustic().parameter_count(), options.epochs, options.batch);
  const auto training_start = std::chrono::steady_clock::now();
  train_acoustic_model(model, train, dev, options, group);
  const double training_seconds = seconds_since(training_start);
  std::cout << fmt::format("acoustic model trained in {:.0f} s\n", training_seconds);
  if (group.ranks() > 1) {
    std::cout << fmt::format("data parallel: {} ranks, {:.1f} % of the training time in the gradient allreduce "
                             "(rank 0)\n",
                             group.ranks(), 100 * group.gradient_seconds() / training_seconds);
  }
  if (!group.leads()) return 0;  // rank 0 evaluates and saves

  tune_decoder(model, dev);
  const std::vector<std::vector<float>> test_posteriors = log_posteriors(model, test);
  const std::vector<std::vector<float>> real_posteriors = log_posteriors(model, real);
  const speech::WordErrors synthetic = word_errors(model, test, test_posteriors, false);
  const speech::WordErrors synthetic_greedy = word_errors(model, test, test_posteriors, true);
  const speech::WordErrors real_errors = word_errors(model, real, real_posteriors, false);
  const speech::WordErrors real_greedy = word_errors(model, real, real_posteriors, true);
  std::cout << fmt::format("WER held-out synthetic voices: {:.4f} (greedy {:.4f}), {} words\n", synthetic.rate(),
                           synthetic_greedy.rate(), synthetic.reference_words());
  std::cout << "WER by held-out voice variant:";
  for (const auto& [variant, errors] : errors_by_variant(model, test_set, test, test_posteriors)) {
    std::cout << fmt::format("  {} {:.3f}", variant, errors.rate());
  }
  std::cout << "\n";
  std::cout << fmt::format("WER real voice: {:.4f} (greedy {:.4f}), {} words\n", real_errors.rate(),
                           real_greedy.rate(), real_errors.reference_words());
  std::cout << "most frequent errors on the real voice:";
  for (const auto& [error, count] : real_errors.most_frequent(8)) std::cout << fmt::format("  {} ({})", error, count);
  std::cout << "\n";

  // Real-time factor: what `recognize` does per file, on one thread.
  double decode_seconds = 0, audio_seconds = 0;
  for (const Utterance& utterance : real_set) {
    const speech::Audio audio = speech::read_audio(utterance.audio_path);
    const auto decode_start = std::chrono::steady_clock::now();
    model.transcribe(audio.samples);
    decode_seconds += seconds_since(decode_start);
    audio_seconds += audio.seconds();
  }
  const double rtf = decode_seconds / std::max(audio_seconds, 1e-9);

  model.save(options.save_path);
  std::cout << "saved " << options.save_path << "\n";
  if (!real_set.empty()) {
    const speech::Audio audio = speech::read_audio(real_set.front().audio_path);
    std::cout << fmt::format("sample: {}\n  said:  {}\n  heard: {}\n", real_set.front().audio_path,
                             rnnc::examples::join_words(real_set.front().words),
                             rnnc::examples::join_words(model.transcribe(audio.samples)));
  }
  std::cout << fmt::format("final: wer_synthetic={:.4f} wer_real={:.4f} wer_real_greedy={:.4f} lm_perplexity={:.3f} "
                           "rtf={:.4f}\n",
                           synthetic.rate(), real_errors.rate(), real_greedy.rate(), lm_perplexity, rtf);
  return 0;
}

int recognize(const std::string& model_path, const std::vector<std::string>& files) {
  std::unique_ptr<SpeechModel> model = SpeechModel::load(model_path);
  int status = 0;
  for (const std::string& file : files) {
    try {
      const speech::Audio audio = speech::read_audio(file);
      std::cout << rnnc::examples::join_words(model->transcribe(audio.samples)) << "\n";
    } catch (const speech::AudioError& error) {
      std::cerr << "speech: error: " << error.what() << "\n";
      status = 1;
    }
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"speech: a recognizer of spoken English numbers, its recurrent networks compiled by rnnc.\n"
               "Without a subcommand: synthesize data, train, evaluate and save a model."};
  TrainOptions options;
  app.add_option("--data", options.data, "cache folder of the synthesized and assembled audio")->capture_default_str();
  app.add_option("--train-utterances", options.train_utterances, "synthetic training utterances")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--dev-utterances", options.dev_utterances, "utterances of held-out voices to tune the decoder on")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--test-utterances", options.test_utterances, "utterances of other held-out synthetic voices")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--real-utterances", options.real_utterances, "utterances of the real voice")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--epochs", options.epochs, "passes over the training utterances")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--batch", options.batch, "utterances per training step")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--hidden", options.hidden, "LSTM hidden size of the acoustic model")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--layers", options.layers, "bidirectional LSTM layers of the acoustic model")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--dropout", options.dropout, "dropout between the acoustic model's layers")
      ->capture_default_str()
      ->check(CLI::Range(0.0f, 0.9f));
  app.add_flag("!--no-spec-augment", options.spec_augment, "train without masking bands and steps");
  app.add_flag("!--no-warp", options.warp_frequencies, "train without warping the frequencies of each utterance");
  app.add_option("--lm-steps", options.lm_steps, "training steps of the language model")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", options.seed, "seed of the data, the weights and the batches")->capture_default_str();
  app.add_option("--jobs", options.jobs, "synthesizer processes at a time")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--save", options.save_path, "where the trained model goes")->capture_default_str();
  app.add_option("--curve", options.curve_path, "loss curve CSV (a PNG beside it when gnuplot is installed)")
      ->capture_default_str();
  app.add_flag("--quiet", options.quiet, "no progress lines");

  std::string model_path = "speech_model.ckpt";
  std::vector<std::string> files;
  CLI::App* recognize_command = app.add_subcommand("recognize", "print the words spoken in each audio file, one line each");
  recognize_command->add_option("--model", model_path, "a model saved by a training run")->capture_default_str();
  recognize_command->add_option("files", files, "audio files (WAV, FLAC, ...; any rate, mono or stereo)")->required();
  CLI11_PARSE(app, argc, argv);
  std::cout << std::unitbuf;  // each line as it happens, also into a log file: the run takes minutes
  if (!*recognize_command) {
    return rnnc::run_data_parallel("speech",
                                   [&](rnnc::DataParallel& group) { return train_and_evaluate(options, group); });
  }
  try {
    return recognize(model_path, files);
  } catch (const std::exception& error) {
    std::cerr << "speech: error: " << error.what() << "\n";
    return 1;
  }
}
