#include "rnnc/pronunciation_trie.h"

#include <algorithm>

#include <fmt/format.h>

#include "rnnc/cell.h"  // RuntimeError

namespace rnnc {

PronunciationTrie::PronunciationTrie(const std::vector<std::vector<std::int32_t>>& pronunciations,
                                     std::int32_t phonemes)
    : nodes_(1), words_(std::int32_t(pronunciations.size())) {
  for (std::size_t w = 0; w < pronunciations.size(); ++w) {
    if (pronunciations[w].empty()) throw RuntimeError(fmt::format("word {} has an empty pronunciation", w));
    std::int32_t node = kRoot;
    for (std::int32_t phoneme : pronunciations[w]) {
      if (phoneme < 0 || phoneme >= phonemes) {
        throw RuntimeError(fmt::format("word {} has phoneme {}, outside 0..{}", w, phoneme, phonemes - 1));
      }
      std::int32_t next = child(node, phoneme);
      if (next == kNone) {
        next = std::int32_t(nodes_.size());
        nodes_[std::size_t(node)].phonemes.push_back(phoneme);
        nodes_[std::size_t(node)].children.push_back(next);
        nodes_.emplace_back();
      }
      node = next;
    }
    if (nodes_[std::size_t(node)].word != kNone) {
      throw RuntimeError(fmt::format("words {} and {} have the same pronunciation", nodes_[std::size_t(node)].word, w));
    }
    nodes_[std::size_t(node)].word = std::int32_t(w);
  }
}

std::int32_t PronunciationTrie::child(std::int32_t node, std::int32_t phoneme) const {
  const Node& from = nodes_[std::size_t(node)];
  auto found = std::find(from.phonemes.begin(), from.phonemes.end(), phoneme);
  return found == from.phonemes.end() ? kNone : from.children[std::size_t(found - from.phonemes.begin())];
}

std::int32_t PronunciationTrie::find(std::span<const std::int32_t> phonemes) const {
  std::int32_t node = kRoot;
  for (std::int32_t phoneme : phonemes) {
    node = child(node, phoneme);
    if (node == kNone) return kNone;
  }
  return word_at(node);
}

}  // namespace rnnc
