// The vocabulary and its pronunciations (lexicon.txt, from espeak-ng): the
// acoustic model's classes are the blank (0) and the phonemes that occur
// there (1..P, in sorted order), the decoder's trie is built from it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rnnc/pronunciation_trie.h"

namespace speech {

struct Lexicon {
  std::vector<std::string> words;
  std::vector<std::string> phonemes;                     // class c + 1 is phonemes[c]
  std::vector<std::vector<std::int32_t>> pronunciations;  // per word, class ids (never the blank 0)

  std::int32_t classes() const { return std::int32_t(phonemes.size()) + 1; }
  std::int32_t word_index(const std::string& word) const;  // -1 when not in the vocabulary
  rnnc::PronunciationTrie trie() const { return rnnc::PronunciationTrie(pronunciations, classes()); }
};

inline constexpr std::int32_t kBlank = 0;

// Reads a lexicon file; throws std::runtime_error with file:line for a
// malformed line or a word listed twice.
Lexicon read_lexicon(const std::string& path);
// The same from the text of such a file; `name` is the file named in errors.
Lexicon parse_lexicon(const std::string& text, const std::string& name);
// The lines of a lexicon file for `lexicon`, without comments.
std::string lexicon_text(const Lexicon& lexicon);

}  // namespace speech
