#include "speech_model.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "project_files.h"

namespace speech {

namespace {

const std::string kCellFile = "dsl/lstm.cell";
// Quieter than -80 dBFS throughout: no speech to transcribe.
constexpr float kSilencePeak = 1e-4f;

rnnc::CellSpec cell_spec(const std::string& text, std::int64_t hidden) {
  return {{kCellFile, text}, {{"H", hidden}}};
}

std::string cell_text() { return rnnc::examples::read_text_file(rnnc::examples::find_project_file(kCellFile)); }

std::int64_t dimension(const rnnc::Checkpoint& checkpoint, const std::string& name) {
  for (const auto& [key, value] : checkpoint.dimensions) {
    if (key == name) return value;
  }
  throw rnnc::CheckpointError("the model file has no dimension '" + name + "'");
}

const std::string& metadata(const rnnc::Checkpoint& checkpoint, const std::string& name) {
  for (const auto& [key, value] : checkpoint.metadata) {
    if (key == name) return value;
  }
  throw rnnc::CheckpointError("the model file has no '" + name + "' entry");
}

}  // namespace

SpeechModel::SpeechModel(Lexicon lexicon, const SpeechModelShape& shape, float dropout, std::uint64_t seed)
    : lexicon_(std::move(lexicon)),
      trie_(lexicon_.trie()),
      shape_(shape),
      cell_text_(cell_text()),
      acoustic_(cell_spec(cell_text_, shape.hidden),
                {.input = std::int64_t(log_mel_.bands()) * shape.stack, .layers = shape.layers,
                 .classes = lexicon_.classes(), .dropout = dropout, .seed = seed}),
      language_(cell_spec(cell_text_, shape.lm_hidden),
                {.words = std::int32_t(lexicon_.words.size()), .embedding = shape.lm_embedding, .seed = seed + 1}) {}

Features SpeechModel::features(std::span<const float> samples) const {
  return acoustic_features(log_mel_, samples, shape_.stack);
}

std::vector<std::int32_t> SpeechModel::decode(std::span<const float> log_posteriors, bool greedy) {
  const std::int64_t classes = lexicon_.classes(), frames = std::int64_t(log_posteriors.size()) / classes;
  if (greedy) return rnnc::read_words(trie_, rnnc::ctc_greedy_labels(log_posteriors, frames, classes, kBlank));
  WordLmScorer scorer(language_);
  const std::vector<rnnc::WordHypothesis> hypotheses = rnnc::ctc_prefix_beam_search(
      log_posteriors, frames, classes, kBlank, trie_, &scorer,
      {.beam = decoder_.beam, .lm_weight = decoder_.lm_weight, .word_bonus = decoder_.word_bonus});
  return hypotheses.empty() ? std::vector<std::int32_t>{} : hypotheses.front().words;
}

std::vector<std::string> SpeechModel::transcribe(std::span<const float> samples) {
  const bool silent = std::ranges::all_of(samples, [](float sample) { return std::fabs(sample) < kSilencePeak; });
  const Features features = this->features(samples);
  if (silent || features.frames == 0) return {};
  const Features* batch[] = {&features};
  return words_of(decode(acoustic_.log_posteriors(batch).front(), false));
}

std::vector<std::string> SpeechModel::words_of(std::span<const std::int32_t> indices) const {
  std::vector<std::string> words;
  for (std::int32_t index : indices) words.push_back(lexicon_.words[std::size_t(index)]);
  return words;
}

rnnc::Checkpoint SpeechModel::checkpoint() {
  const std::string lexicon = lexicon_text(lexicon_);
  rnnc::Checkpoint checkpoint{"speech",
                              rnnc::hash_cell_text(cell_text_ + lexicon),
                              {{"H", shape_.hidden},
                               {"L", shape_.layers},
                               {"STACK", shape_.stack},
                               {"LM_H", shape_.lm_hidden},
                               {"LM_E", shape_.lm_embedding}},
                              {{"lexicon", lexicon},
                               {"beam", std::to_string(decoder_.beam)},
                               {"lm_weight", fmt::format("{}", decoder_.lm_weight)},
                               {"word_bonus", fmt::format("{}", decoder_.word_bonus)}},
                              {}};
  std::vector<rnnc::TrainableTensor> tensors = acoustic_.parameters();
  for (rnnc::TrainableTensor& tensor : language_.parameters()) tensors.push_back(std::move(tensor));
  for (const rnnc::TrainableTensor& tensor : tensors) {
    checkpoint.tensors.push_back({tensor.name, {tensor.value.begin(), tensor.value.end()}});
  }
  return checkpoint;
}

void SpeechModel::save(const std::string& path) { rnnc::save_checkpoint(path, checkpoint()); }

std::unique_ptr<SpeechModel> SpeechModel::load(const std::string& path) {
  const rnnc::Checkpoint loaded = rnnc::load_checkpoint(path);
  if (loaded.cell_name != "speech") throw rnnc::CheckpointError(fmt::format("{}: not a speech model", path));
  Lexicon lexicon;
  try {
    lexicon = parse_lexicon(metadata(loaded, "lexicon"), path);
  } catch (const std::runtime_error& error) {
    throw rnnc::CheckpointError(error.what());
  }
  const SpeechModelShape shape{dimension(loaded, "H"), dimension(loaded, "L"), int(dimension(loaded, "STACK")),
                               dimension(loaded, "LM_H"), dimension(loaded, "LM_E")};
  auto model = std::make_unique<SpeechModel>(std::move(lexicon), shape, 0.0f, 1);
  rnnc::Checkpoint expected = model->checkpoint();
  rnnc::require_compatible(loaded, expected);
  std::vector<rnnc::TrainableTensor> tensors = model->acoustic_.parameters();
  for (rnnc::TrainableTensor& tensor : model->language_.parameters()) tensors.push_back(std::move(tensor));
  for (const rnnc::TrainableTensor& tensor : tensors) {
    std::ranges::copy(std::ranges::find(loaded.tensors, tensor.name, &rnnc::CheckpointTensor::name)->data,
                      tensor.value.begin());
  }
  model->acoustic_.parameters_changed();
  model->language_.parameters_changed();
  try {
    model->decoder_ = {std::stoi(metadata(loaded, "beam")), std::stod(metadata(loaded, "lm_weight")),
                       std::stod(metadata(loaded, "word_bonus"))};
  } catch (const std::logic_error&) {
    throw rnnc::CheckpointError(fmt::format("{}: malformed decoder settings", path));
  }
  return model;
}

}  // namespace speech
