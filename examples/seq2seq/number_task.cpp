#include "number_task.h"

#include <algorithm>

namespace seq2seq {

namespace {

constexpr std::int32_t kHundredWord = 28, kThousandWord = 29;

// Word tokens of 0 < number < 1000.
void append_below_thousand(std::int32_t number, std::vector<std::int32_t>& words) {
  if (number >= 100) {
    words.push_back(number / 100);
    words.push_back(kHundredWord);
    number %= 100;
  }
  if (number >= 20) {
    words.push_back(20 + (number / 10 - 2));  // twenty is word 20
    number %= 10;
  }
  if (number > 0) words.push_back(number);
}

}  // namespace

const std::vector<std::string>& source_words() {
  static const std::vector<std::string> words = {
      "zero",    "one",     "two",       "three",    "four",     "five",    "six",     "seven",
      "eight",   "nine",    "ten",       "eleven",   "twelve",   "thirteen", "fourteen", "fifteen",
      "sixteen", "seventeen", "eighteen", "nineteen", "twenty",   "thirty",  "forty",   "fifty",
      "sixty",   "seventy", "eighty",    "ninety",   "hundred",  "thousand"};
  return words;
}

std::vector<std::int32_t> source_tokens(std::int32_t number) {
  if (number == 0) return {0};
  std::vector<std::int32_t> words;
  if (number >= 1000) {
    append_below_thousand(number / 1000, words);
    words.push_back(kThousandWord);
  }
  append_below_thousand(number % 1000, words);
  return words;
}

std::string number_to_words(std::int32_t number) {
  std::string text;
  for (std::int32_t word : source_tokens(number)) {
    if (!text.empty()) text += ' ';
    text += source_words()[std::size_t(word)];
  }
  return text;
}

std::vector<std::int32_t> digit_tokens(std::int32_t number) {
  std::vector<std::int32_t> digits;
  for (char digit : std::to_string(number)) digits.push_back(digit - '0');
  return digits;
}

}  // namespace seq2seq
