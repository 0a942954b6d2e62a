// A prefix tree of the pronunciations of a vocabulary: each word a
// sequence of phoneme classes, words that share a beginning sharing nodes.
// The CTC decoder walks it to spell only words of the vocabulary.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace rnnc {

class PronunciationTrie {
 public:
  static constexpr std::int32_t kRoot = 0;
  static constexpr std::int32_t kNone = -1;

  // pronunciations[w]: word w's phonemes, each in [0, phonemes); none may be
  // empty or listed twice (RuntimeError otherwise).
  PronunciationTrie(const std::vector<std::vector<std::int32_t>>& pronunciations, std::int32_t phonemes);

  // The node after `phoneme` from `node`, or kNone.
  std::int32_t child(std::int32_t node, std::int32_t phoneme) const;
  // The word that ends at `node`, or kNone.
  std::int32_t word_at(std::int32_t node) const { return nodes_[std::size_t(node)].word; }
  // The phonemes some word continues with from `node`.
  const std::vector<std::int32_t>& next_phonemes(std::int32_t node) const {
    return nodes_[std::size_t(node)].phonemes;
  }
  // The word spelled by exactly `phonemes`, or kNone.
  std::int32_t find(std::span<const std::int32_t> phonemes) const;
  std::int32_t words() const { return words_; }

 private:
  struct Node {
    std::int32_t word = kNone;
    std::vector<std::int32_t> phonemes, children;  // parallel
  };
  std::vector<Node> nodes_;
  std::int32_t words_;
};

}  // namespace rnnc
