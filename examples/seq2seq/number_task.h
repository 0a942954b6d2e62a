// The translation task of the seq2seq example: English number words to
// digits, "forty two thousand seven hundred three" -> "42703", for the
// numbers 0..99,999. Source tokens are words, target tokens digits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace seq2seq {

constexpr std::int32_t kLargestNumber = 99'999;
// Target tokens: the digits 0..9, then end-of-sequence; the decoder also
// reads a begin-of-sequence token.
constexpr std::int32_t kEndToken = 10, kBeginToken = 11;
constexpr std::int32_t kTargetClasses = 11, kTargetVocabulary = 12;

// The words a number is written with: zero .. nineteen, twenty .. ninety,
// hundred, thousand.
const std::vector<std::string>& source_words();

// "forty two thousand seven hundred three" (no "and", no hyphens).
std::string number_to_words(std::int32_t number);
// The word tokens of number_to_words(number).
std::vector<std::int32_t> source_tokens(std::int32_t number);
// The digit tokens of the number, most significant first, without the end token.
std::vector<std::int32_t> digit_tokens(std::int32_t number);

}  // namespace seq2seq
