#include "number_task.h"

#include <algorithm>

#include "number_words.h"

namespace seq2seq {

const std::vector<std::string>& source_words() {
  static const std::vector<std::string> words = {
      "zero",    "one",     "two",       "three",    "four",     "five",    "six",     "seven",
      "eight",   "nine",    "ten",       "eleven",   "twelve",   "thirteen", "fourteen", "fifteen",
      "sixteen", "seventeen", "eighteen", "nineteen", "twenty",   "thirty",  "forty",   "fifty",
      "sixty",   "seventy", "eighty",    "ninety",   "hundred",  "thousand"};
  return words;
}

std::vector<std::int32_t> source_tokens(std::int32_t number) {
  std::vector<std::int32_t> tokens;
  for (const std::string& word : rnnc::examples::number_words(number)) {
    tokens.push_back(std::int32_t(std::ranges::find(source_words(), word) - source_words().begin()));
  }
  return tokens;
}

std::string number_to_words(std::int32_t number) {
  return rnnc::examples::join_words(rnnc::examples::number_words(number));
}

std::vector<std::int32_t> digit_tokens(std::int32_t number) {
  std::vector<std::int32_t> digits;
  for (char digit : std::to_string(number)) digits.push_back(digit - '0');
  return digits;
}

}  // namespace seq2seq
