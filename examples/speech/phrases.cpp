#include "phrases.h"

#include "number_words.h"

namespace speech {

namespace {

// Uniform over the numbers of 1..digits digits, each length equally likely.
std::int64_t random_number(rnnc::Rng& rng, int max_digits) {
  const int digits = 1 + int(rng.below(std::uint64_t(max_digits)));
  std::int64_t low = 1;
  for (int d = 1; d < digits; ++d) low *= 10;
  const std::int64_t first = digits == 1 ? 0 : low;  // one digit: 0..9
  return first + std::int64_t(rng.below(std::uint64_t(low * 10 - first)));
}

std::vector<std::string> digit_string(rnnc::Rng& rng) {
  static const char* const kDigits[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
  const int length = 2 + int(rng.below(6));
  const bool zero_as_oh = rng.below(4) != 0;  // "oh" is the common reading
  std::vector<std::string> words;
  for (int i = 0; i < length; ++i) {
    const std::uint64_t digit = rng.below(10);
    words.emplace_back(digit == 0 && zero_as_oh ? "oh" : kDigits[digit]);
  }
  return words;
}

}  // namespace

std::vector<std::string> random_phrase(rnnc::Rng& rng) {
  const std::uint64_t kind = rng.below(10);
  if (kind < 6) return rnnc::examples::number_words(random_number(rng, 9));
  if (kind < 7) return rnnc::examples::number_words(-1 - random_number(rng, 4));
  return digit_string(rng);
}

}  // namespace speech
