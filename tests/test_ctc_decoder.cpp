// The pronunciation trie and the CTC decoders (rnnc/ctc_beam_search.h):
// prefix beam search with an unbounded beam against an exhaustive search
// over every path, with and without a language model; beam 1 against the
// greedy decoding.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <random>

#include "rnnc/cell.h"
#include "rnnc/ctc_beam_search.h"

namespace {

using Words = std::vector<std::int32_t>;

// Classes 1..3 are phonemes, 0 the blank. Words share beginnings, one is a
// prefix of another, and two end and start with the same phoneme.
const std::vector<std::vector<std::int32_t>> kLexicon = {{1}, {1, 2}, {2, 3}, {3, 1}, {2}};
constexpr std::int64_t kClasses = 4;

// A bigram table with an end of sentence (word 5).
class BigramScorer : public rnnc::WordScorer {
 public:
  explicit BigramScorer(std::mt19937& random) {
    std::uniform_real_distribution<double> uniform(-3.0, 0.0);
    for (double& value : table_) value = uniform(random);
  }
  double log_probability(std::span<const std::int32_t> history, std::int32_t word) const override {
    std::int32_t previous = history.empty() ? 5 : history.back();
    return table_[std::size_t(previous * 6 + word)];
  }

 private:
  double table_[36];
};

std::vector<float> random_log_probs(std::int64_t frames, std::mt19937& random) {
  std::normal_distribution<double> normal(0.0, 1.5);
  std::vector<float> log_probs(std::size_t(frames * kClasses));
  for (std::int64_t t = 0; t < frames; ++t) {
    double logits[kClasses], sum = 0;
    for (double& logit : logits) sum += std::exp(logit = normal(random));
    for (std::int64_t c = 0; c < kClasses; ++c) log_probs[std::size_t(t * kClasses + c)] = float(logits[c] - std::log(sum));
  }
  return log_probs;
}

// Every way to read `phonemes` as words of the lexicon.
void segmentations(const rnnc::PronunciationTrie& trie, const std::vector<std::int32_t>& phonemes, std::size_t at,
                   Words& words, std::vector<Words>& found) {
  if (at == phonemes.size()) {
    found.push_back(words);
    return;
  }
  for (std::size_t end = at + 1; end <= phonemes.size(); ++end) {
    std::int32_t word = trie.find(std::span(phonemes).subspan(at, end - at));
    if (word == rnnc::PronunciationTrie::kNone) continue;
    words.push_back(word);
    segmentations(trie, phonemes, end, words, found);
    words.pop_back();
  }
}

// The score of every word sequence, from all kClasses^frames paths.
std::map<Words, double> exhaustive_scores(const std::vector<float>& log_probs, std::int64_t frames,
                                          const rnnc::PronunciationTrie& trie, const rnnc::WordScorer* lm,
                                          const rnnc::BeamSearchOptions& options) {
  std::map<std::vector<std::int32_t>, double> label_probability;
  std::int64_t paths = 1;
  for (std::int64_t t = 0; t < frames; ++t) paths *= kClasses;
  for (std::int64_t path = 0; path < paths; ++path) {
    std::vector<std::int32_t> labels;
    double log_p = 0;
    std::int32_t previous = 0;
    for (std::int64_t t = 0, rest = path; t < frames; ++t, rest /= kClasses) {
      std::int32_t c = std::int32_t(rest % kClasses);
      log_p += log_probs[std::size_t(t * kClasses + c)];
      if (c != 0 && c != previous) labels.push_back(c);
      previous = c;
    }
    auto [entry, fresh] = label_probability.emplace(labels, 0.0);
    entry->second += std::exp(log_p);
  }
  std::map<Words, double> scores;
  for (const auto& [labels, probability] : label_probability) {
    std::vector<Words> readings;
    Words words;
    segmentations(trie, labels, 0, words, readings);
    for (const Words& reading : readings) {
      double score = std::log(probability) + options.word_bonus * double(reading.size());
      if (lm) {
        for (std::size_t i = 0; i <= reading.size(); ++i) {
          std::int32_t word = i < reading.size() ? reading[i] : trie.words();
          score += options.lm_weight * lm->log_probability(std::span(reading).first(i), word);
        }
      }
      scores[reading] = score;
    }
  }
  return scores;
}

}  // namespace

TEST_CASE("ctc decoder: the pronunciation trie accepts exactly the vocabulary", "[ctc]") {
  rnnc::PronunciationTrie trie(kLexicon, kClasses);
  CHECK(trie.words() == 5);
  for (std::size_t w = 0; w < kLexicon.size(); ++w) CHECK(trie.find(kLexicon[w]) == std::int32_t(w));
  // Every sequence of up to 3 phonemes (blank included) is a word exactly
  // when the lexicon lists it.
  int words_found = 0;
  for (int length = 0; length <= 3; ++length) {
    int count = 1;
    for (int i = 0; i < length; ++i) count *= kClasses;
    for (int code = 0; code < count; ++code) {
      std::vector<std::int32_t> phonemes;
      for (int i = 0, rest = code; i < length; ++i, rest /= kClasses) phonemes.push_back(rest % kClasses);
      auto listed = std::find(kLexicon.begin(), kLexicon.end(), phonemes);
      std::int32_t expected = listed == kLexicon.end() ? rnnc::PronunciationTrie::kNone
                                                       : std::int32_t(listed - kLexicon.begin());
      CHECK(trie.find(phonemes) == expected);
      words_found += expected != rnnc::PronunciationTrie::kNone;
    }
  }
  CHECK(words_found == 5);
  CHECK_THROWS_AS(rnnc::PronunciationTrie({{1}, {}}, kClasses), rnnc::RuntimeError);
  CHECK_THROWS_AS(rnnc::PronunciationTrie({{1, 2}, {1, 2}}, kClasses), rnnc::RuntimeError);
  CHECK_THROWS_AS(rnnc::PronunciationTrie({{1, 4}}, kClasses), rnnc::RuntimeError);
}

TEST_CASE("ctc decoder: an unbounded beam equals exhaustive search, with and without a language model", "[ctc]") {
  std::mt19937 random(3);
  rnnc::PronunciationTrie trie(kLexicon, kClasses);
  BigramScorer bigram(random);
  int compared = 0;
  for (std::int64_t frames = 1; frames <= 6; ++frames) {
    for (int trial = 0; trial < 3; ++trial) {
      std::vector<float> log_probs = random_log_probs(frames, random);
      for (const rnnc::WordScorer* lm : {static_cast<const rnnc::WordScorer*>(nullptr),
                                         static_cast<const rnnc::WordScorer*>(&bigram)}) {
        rnnc::BeamSearchOptions options{0, lm ? 0.7 : 0.0, lm ? 0.4 : 0.0};
        std::map<Words, double> expected = exhaustive_scores(log_probs, frames, trie, lm, options);
        std::vector<rnnc::WordHypothesis> found =
            rnnc::ctc_prefix_beam_search(log_probs, frames, kClasses, 0, trie, lm, options);
        INFO("frames " << frames << (lm ? " with LM" : ""));
        REQUIRE(found.size() == expected.size());
        for (const rnnc::WordHypothesis& hypothesis : found) {
          REQUIRE(expected.count(hypothesis.words));
          CHECK(hypothesis.score == Approx(expected[hypothesis.words]).epsilon(1e-6));
        }
        for (std::size_t i = 1; i < found.size(); ++i) CHECK(found[i - 1].score >= found[i].score);
        ++compared;
      }
    }
  }
  CHECK(compared == 36);
}

TEST_CASE("ctc decoder: beam 1 without a language model equals greedy decoding", "[ctc]") {
  // Posteriors peaked on one path through a random word sequence (repeats,
  // and blanks where two equal phonemes meet), as a trained model gives.
  // The lexicon is prefix-free, so every label sequence is one prefix: with
  // a word that begins another ("six", "sixty") a label sequence has
  // several readings, which share its probability, and beam 1 keeps only
  // one of them (the unbounded beam above handles such a lexicon).
  const std::vector<std::vector<std::int32_t>> lexicon = {{1}, {2, 3}, {3, 2}, {2, 2, 1}};
  std::mt19937 random(11);
  rnnc::PronunciationTrie trie(lexicon, kClasses);
  for (int trial = 0; trial < 50; ++trial) {
    Words words;
    std::vector<std::int32_t> path;
    for (int w = 0, count = 1 + int(random() % 4); w < count; ++w) {
      words.push_back(std::int32_t(random() % lexicon.size()));
      for (std::int32_t phoneme : lexicon[std::size_t(words.back())]) {
        if ((!path.empty() && path.back() == phoneme) || random() % 3 == 0) path.push_back(0);
        for (int repeat = 0, times = 1 + int(random() % 2); repeat < times; ++repeat) path.push_back(phoneme);
      }
    }
    const std::int64_t frames = std::int64_t(path.size());
    std::vector<float> log_probs(std::size_t(frames * kClasses));
    for (std::int64_t t = 0; t < frames; ++t) {
      for (std::int64_t c = 0; c < kClasses; ++c) {
        log_probs[std::size_t(t * kClasses + c)] = float(std::log(c == path[std::size_t(t)] ? 0.85 : 0.05));
      }
    }
    std::vector<std::int32_t> greedy = rnnc::ctc_greedy_labels(log_probs, frames, kClasses, 0);
    std::vector<rnnc::WordHypothesis> beam =
        rnnc::ctc_prefix_beam_search(log_probs, frames, kClasses, 0, trie, nullptr, {1, 0.0, 0.0});
    INFO("trial " << trial);
    REQUIRE(!beam.empty());
    // The greedy labels spell the sequence; beam 1 reads the same words
    // (both readings of an ambiguous spelling are the same phonemes).
    std::vector<std::int32_t> spelled, beam_spelled;
    for (std::int32_t word : words) spelled.insert(spelled.end(), lexicon[std::size_t(word)].begin(), lexicon[std::size_t(word)].end());
    for (std::int32_t word : beam[0].words) {
      beam_spelled.insert(beam_spelled.end(), lexicon[std::size_t(word)].begin(), lexicon[std::size_t(word)].end());
    }
    CHECK(greedy == spelled);
    CHECK(beam_spelled == greedy);
  }
  // Longest match first; a phoneme that starts no word is skipped.
  rnnc::PronunciationTrie ambiguous(kLexicon, kClasses);
  CHECK(rnnc::read_words(ambiguous, std::vector<std::int32_t>{1, 2, 3, 1, 2}) == Words{1, 3, 4});
}
