// Word error rate: the fewest substitutions, deletions and insertions that
// turn a transcript into the reference (Levenshtein over words), summed
// over utterances and divided by the reference words; and a tally of which
// errors those alignments make, to see what the recognizer confuses.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace speech {

class WordErrors {
 public:
  void add(const std::vector<std::string>& reference, const std::vector<std::string>& hypothesis);
  double rate() const { return reference_words_ ? double(errors_) / double(reference_words_) : 0.0; }
  std::int64_t errors() const { return errors_; }
  std::int64_t reference_words() const { return reference_words_; }
  // The `count` most frequent errors, e.g. "seventeen -> seventy" (a
  // substitution), "oh -> (nothing)", "(nothing) -> two", with their counts.
  std::vector<std::pair<std::string, std::int64_t>> most_frequent(std::size_t count) const;

 private:
  std::int64_t errors_ = 0, reference_words_ = 0;
  std::map<std::string, std::int64_t> tally_;
};

}  // namespace speech
