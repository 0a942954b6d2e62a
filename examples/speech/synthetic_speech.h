// Training and held-out audio from speech synthesizers: number phrases
// spoken by espeak-ng (accents × voice variants) and flite (its voices),
// some read word by word as the real-voice set is, each utterance varied — speaking rate and pitch in the synthesizer, then
// through sox tempo, pitch shift, reverberation, telephone band-pass,
// level, leading and trailing silence and added noise — and resampled to
// the recognizer's 8 kHz. Every choice comes from a seeded generator, so a
// recipe (split, count, seed) names the same audio everywhere.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "utterance_set.h"

namespace speech {

struct Voice {
  enum class Engine { espeak, flite } engine;
  std::string name;  // espeak-ng "en-us+f3", flite "slt"
  std::string label() const;
};

// Voices held out are voices, not only utterances: the dev and test voices
// are espeak-ng variants and a flite voice that no training utterance uses.
struct VoiceSplit {
  std::vector<Voice> train, dev, test;
};
const VoiceSplit& synthetic_voices();

struct SynthesisRecipe {
  std::string split;  // names the folder: "train", "dev", "test"
  std::vector<Voice> voices;
  std::int64_t count = 0;
  std::uint64_t seed = 1;
};

// The recipe's utterances under CACHE/SPLIT-vVERSION-sSEED-nCOUNT/, synthesized with
// `jobs` processes at a time when the folder has no manifest yet (files
// already there are kept: an interrupted run resumes). `progress(done)` is
// called as utterances finish. Throws rnnc::RuntimeError when a program fails.
std::vector<Utterance> synthesize_utterances(const std::string& cache, const SynthesisRecipe& recipe, int jobs,
                                             const std::function<void(std::int64_t done)>& progress);

}  // namespace speech
