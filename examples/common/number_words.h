// English number words as a telephone system reads a number out:
// "forty two thousand seven hundred three", "minus thirty" — no "and", no
// hyphens. Shared by the translator (words to digits) and the speech
// recognizer (spoken numbers).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rnnc::examples {

inline constexpr std::int64_t kLargestSpokenNumber = 999'999'999;

// The words of `number`, |number| <= kLargestSpokenNumber (RuntimeError
// otherwise), over zero .. nineteen, twenty .. ninety, hundred, thousand,
// million and, for a negative number, a leading "minus".
std::vector<std::string> number_words(std::int64_t number);

// The words joined by single spaces.
std::string join_words(const std::vector<std::string>& words);

}  // namespace rnnc::examples
