#include "rnnc/ctc_beam_search.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "log_space.h"

namespace rnnc {

namespace {

// A prefix: the words finished so far and the trie node of the word being
// spelled. Both decide the labels emitted, so two paths to the same key are
// the same prefix, and the LM part of their score is the same.
struct PrefixKey {
  std::vector<std::int32_t> words;
  std::int32_t node = PronunciationTrie::kRoot;
  bool operator<(const PrefixKey& other) const {
    return node != other.node ? node < other.node : words < other.words;
  }
};

struct PrefixScore {
  double blank = kLogZero, label = kLogZero;  // log p of the paths ending in a blank, in the last label
  double lm = 0;                              // α log p_lm + β · words, of the finished words
  std::int32_t last = -1;                     // the last label, -1 before the first
  double ctc() const { return log_add(blank, label); }
};

using Beam = std::map<PrefixKey, PrefixScore>;

class Decoder {
 public:
  Decoder(const PronunciationTrie& trie, const WordScorer* lm, const BeamSearchOptions& options)
      : trie_(trie), lm_(lm), options_(options) {}

  // α log p(word | words) + β.
  double word_score(const std::vector<std::int32_t>& words, std::int32_t word) const {
    double score = options_.word_bonus;
    if (lm_ && options_.lm_weight != 0) score += options_.lm_weight * lm_->log_probability(words, word);
    return score;
  }

  // Emits label `phoneme` after `from` into `key`'s entry of `next`.
  static void extend(Beam& next, PrefixKey key, const PrefixScore& from, double lm, std::int32_t phoneme,
                     double emission) {
    // A label equal to the last one is new only after a blank.
    double paths = phoneme == from.last ? from.blank : from.ctc();
    if (paths == kLogZero) return;  // e.g. the same label twice with no blank yet
    PrefixScore& to = next[std::move(key)];
    to.label = log_add(to.label, paths + emission);
    to.lm = lm;
    to.last = phoneme;
  }

  Beam step(const Beam& beam, const float* log_probs, std::int32_t blank) const {
    Beam next;
    for (const auto& [key, score] : beam) {
      // Stay: a blank, or the last label again.
      PrefixScore& same = next[key];
      same.blank = log_add(same.blank, score.ctc() + log_probs[blank]);
      if (score.last >= 0) same.label = log_add(same.label, score.label + log_probs[score.last]);
      same.lm = score.lm;
      same.last = score.last;
      // Go on spelling the current word.
      for (std::int32_t phoneme : trie_.next_phonemes(key.node)) {
        extend(next, {key.words, trie_.child(key.node, phoneme)}, score, score.lm, phoneme, log_probs[phoneme]);
      }
      // Or finish it and start the next word.
      std::int32_t word = key.node == PronunciationTrie::kRoot ? PronunciationTrie::kNone : trie_.word_at(key.node);
      if (word == PronunciationTrie::kNone) continue;
      std::vector<std::int32_t> words = key.words;
      double lm = score.lm + word_score(words, word);
      words.push_back(word);
      for (std::int32_t phoneme : trie_.next_phonemes(PronunciationTrie::kRoot)) {
        extend(next, {words, trie_.child(PronunciationTrie::kRoot, phoneme)}, score, lm, phoneme,
               log_probs[phoneme]);
      }
    }
    return next;
  }

  void prune(Beam& beam) const {
    if (options_.beam <= 0 || beam.size() <= std::size_t(options_.beam)) return;
    std::vector<std::pair<double, PrefixKey>> ranked;
    for (const auto& [key, score] : beam) ranked.emplace_back(score.ctc() + score.lm, key);
    std::nth_element(ranked.begin(), ranked.begin() + options_.beam, ranked.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    Beam kept;
    for (int i = 0; i < options_.beam; ++i) kept.insert(beam.extract(ranked[std::size_t(i)].second));
    beam = std::move(kept);
  }

  std::vector<WordHypothesis> finish(const Beam& beam) const {
    std::vector<WordHypothesis> complete;
    for (const auto& [key, score] : beam) {
      std::vector<std::int32_t> words = key.words;
      double lm = score.lm;
      if (key.node != PronunciationTrie::kRoot) {
        std::int32_t word = trie_.word_at(key.node);
        if (word == PronunciationTrie::kNone) continue;  // in the middle of a word
        lm += word_score(words, word);
        words.push_back(word);
      }
      if (lm_ && options_.lm_weight != 0) lm += options_.lm_weight * lm_->log_probability(words, trie_.words());
      complete.push_back({std::move(words), score.ctc() + lm});
    }
    std::sort(complete.begin(), complete.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
    return complete;
  }

 private:
  const PronunciationTrie& trie_;
  const WordScorer* lm_;
  BeamSearchOptions options_;
};

}  // namespace

std::vector<WordHypothesis> ctc_prefix_beam_search(std::span<const float> log_probs, std::int64_t frames,
                                                   std::int64_t classes, std::int32_t blank,
                                                   const PronunciationTrie& trie, const WordScorer* lm,
                                                   const BeamSearchOptions& options) {
  Decoder decoder(trie, lm, options);
  Beam beam;
  beam[PrefixKey{}].blank = 0.0;  // nothing emitted yet: probability 1
  for (std::int64_t t = 0; t < frames; ++t) {
    beam = decoder.step(beam, &log_probs[std::size_t(t * classes)], blank);
    decoder.prune(beam);
  }
  return decoder.finish(beam);
}

std::vector<std::int32_t> ctc_greedy_labels(std::span<const float> log_probs, std::int64_t frames,
                                            std::int64_t classes, std::int32_t blank) {
  std::vector<std::int32_t> labels;
  std::int32_t previous = blank;
  for (std::int64_t t = 0; t < frames; ++t) {
    const float* row = &log_probs[std::size_t(t * classes)];
    std::int32_t best = std::int32_t(std::max_element(row, row + classes) - row);
    if (best != blank && best != previous) labels.push_back(best);
    previous = best;
  }
  return labels;
}

std::vector<std::int32_t> read_words(const PronunciationTrie& trie, std::span<const std::int32_t> phonemes) {
  std::vector<std::int32_t> words;
  std::size_t at = 0;
  while (at < phonemes.size()) {
    std::int32_t node = PronunciationTrie::kRoot, longest = PronunciationTrie::kNone;
    std::size_t end = at;
    for (std::size_t i = at; i < phonemes.size(); ++i) {
      node = trie.child(node, phonemes[i]);
      if (node == PronunciationTrie::kNone) break;
      if (trie.word_at(node) != PronunciationTrie::kNone) longest = trie.word_at(node), end = i + 1;
    }
    if (longest == PronunciationTrie::kNone) {
      ++at;  // starts no word
    } else {
      words.push_back(longest);
      at = end;
    }
  }
  return words;
}

}  // namespace rnnc
