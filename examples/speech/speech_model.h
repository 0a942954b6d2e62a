// The whole recognizer as one object: lexicon, features, acoustic model,
// language model and the decoder's settings — what `speech` trains, saves
// in one checkpoint (the lexicon included, so a model file stands alone)
// and loads to transcribe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "acoustic_model.h"
#include "audio_file.h"
#include "lexicon.h"
#include "rnnc/checkpoint.h"
#include "word_lm.h"

namespace speech {

struct SpeechModelShape {
  std::int64_t hidden = 128, layers = 2;  // the acoustic model's bidirectional stack
  int stack = 3;                          // log-mel frames per acoustic model step
  std::int64_t lm_hidden = 64, lm_embedding = 32;
};

struct DecoderSettings {
  int beam = 16;
  double lm_weight = 0.5, word_bonus = 1.0;
};

class SpeechModel {
 public:
  // Throws RuntimeError when dsl/lstm.cell cannot be found.
  SpeechModel(Lexicon lexicon, const SpeechModelShape& shape, float dropout, std::uint64_t seed);

  const Lexicon& lexicon() const { return lexicon_; }
  const SpeechModelShape& shape() const { return shape_; }
  int bands() const { return log_mel_.bands(); }
  const LogMel& log_mel() const { return log_mel_; }
  AcousticModel& acoustic() { return acoustic_; }
  WordLm& language() { return language_; }
  DecoderSettings& decoder() { return decoder_; }

  Features features(std::span<const float> samples) const;
  // Words of an utterance's log posteriors: beam search with the LM, or
  // greedy best path read through the lexicon.
  std::vector<std::int32_t> decode(std::span<const float> log_posteriors, bool greedy);
  // The words spoken in `samples` (8 kHz); none for silence.
  std::vector<std::string> transcribe(std::span<const float> samples);

  std::vector<std::string> words_of(std::span<const std::int32_t> indices) const;

  // Throws rnnc::CheckpointError with a one-line reason.
  void save(const std::string& path);
  static std::unique_ptr<SpeechModel> load(const std::string& path);

 private:
  rnnc::Checkpoint checkpoint();

  Lexicon lexicon_;
  rnnc::PronunciationTrie trie_;
  SpeechModelShape shape_;
  std::string cell_text_;
  LogMel log_mel_;
  AcousticModel acoustic_;
  WordLm language_;
  DecoderSettings decoder_;
};

}  // namespace speech
