#include "number_words.h"

#include <array>

#include <fmt/format.h>

#include "rnnc/cell.h"

namespace rnnc::examples {

namespace {

const std::array<const char*, 20> kBelowTwenty = {
    "zero",    "one",     "two",       "three",    "four",     "five",    "six",
    "seven",   "eight",   "nine",      "ten",      "eleven",   "twelve",  "thirteen",
    "fourteen", "fifteen", "sixteen",  "seventeen", "eighteen", "nineteen"};
const std::array<const char*, 8> kTens = {"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};

// The words of 0 < number < 1000.
void append_below_thousand(std::int64_t number, std::vector<std::string>& words) {
  if (number >= 100) {
    words.emplace_back(kBelowTwenty[std::size_t(number / 100)]);
    words.emplace_back("hundred");
    number %= 100;
  }
  if (number >= 20) {
    words.emplace_back(kTens[std::size_t(number / 10 - 2)]);
    number %= 10;
  }
  if (number > 0) words.emplace_back(kBelowTwenty[std::size_t(number)]);
}

}  // namespace

std::vector<std::string> number_words(std::int64_t number) {
  if (number < -kLargestSpokenNumber || number > kLargestSpokenNumber) {
    throw RuntimeError(fmt::format("{} is beyond the numbers that can be read out (|n| <= {})", number,
                                   kLargestSpokenNumber));
  }
  if (number == 0) return {"zero"};
  std::vector<std::string> words;
  if (number < 0) {
    words.emplace_back("minus");
    number = -number;
  }
  for (auto [scale, name] : {std::pair<std::int64_t, const char*>{1'000'000, "million"}, {1'000, "thousand"}}) {
    if (number >= scale) {
      append_below_thousand(number / scale, words);
      words.emplace_back(name);
      number %= scale;
    }
  }
  append_below_thousand(number, words);
  return words;
}

std::string join_words(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) {
    if (!text.empty()) text += ' ';
    text += word;
  }
  return text;
}

}  // namespace rnnc::examples
