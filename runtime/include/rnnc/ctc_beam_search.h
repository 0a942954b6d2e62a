// Decoding per-frame CTC posteriors into words of a vocabulary: prefix
// beam search (Hannun et al., 2014) constrained to the pronunciations of a
// PronunciationTrie, with a word-level language model fused in, and the
// greedy best-path decoding it is measured against.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "rnnc/pronunciation_trie.h"

namespace rnnc {

// A word-level language model as the decoder asks it: log p(word | history),
// where word == the trie's words() count stands for the end of the sentence.
class WordScorer {
 public:
  virtual ~WordScorer() = default;
  virtual double log_probability(std::span<const std::int32_t> history, std::int32_t word) const = 0;
};

struct BeamSearchOptions {
  int beam = 16;          // hypotheses kept after each frame; 0 keeps them all
  double lm_weight = 0;   // α in log p_ctc + α log p_lm + β · words
  double word_bonus = 0;  // β
};

struct WordHypothesis {
  std::vector<std::int32_t> words;
  double score = 0;  // log p_ctc(its pronunciations) + α log p_lm + β · words
};

// log_probs: [frames][classes] log posteriors of one utterance; the trie's
// phonemes are classes other than `blank`. Complete hypotheses (every word
// finished), best first; the LM (may be null) is asked once per word and at
// the end.
std::vector<WordHypothesis> ctc_prefix_beam_search(std::span<const float> log_probs, std::int64_t frames,
                                                   std::int64_t classes, std::int32_t blank,
                                                   const PronunciationTrie& trie, const WordScorer* lm,
                                                   const BeamSearchOptions& options);

// The most probable class of every frame, repeats merged, blanks dropped.
std::vector<std::int32_t> ctc_greedy_labels(std::span<const float> log_probs, std::int64_t frames,
                                            std::int64_t classes, std::int32_t blank);

// A phoneme string read as words, longest word first at each point; a
// phoneme that starts no word is skipped.
std::vector<std::int32_t> read_words(const PronunciationTrie& trie, std::span<const std::int32_t> phonemes);

}  // namespace rnnc
