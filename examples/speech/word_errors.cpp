#include "word_errors.h"

#include <algorithm>

namespace speech {

void WordErrors::add(const std::vector<std::string>& reference, const std::vector<std::string>& hypothesis) {
  const std::size_t rows = reference.size() + 1, columns = hypothesis.size() + 1;
  // distance[i][j]: edits turning hypothesis[0, j) into reference[0, i).
  std::vector<std::int64_t> distance(rows * columns);
  for (std::size_t i = 0; i < rows; ++i) distance[i * columns] = std::int64_t(i);
  for (std::size_t j = 0; j < columns; ++j) distance[j] = std::int64_t(j);
  for (std::size_t i = 1; i < rows; ++i) {
    for (std::size_t j = 1; j < columns; ++j) {
      const std::int64_t substitution = distance[(i - 1) * columns + j - 1] + (reference[i - 1] != hypothesis[j - 1]);
      distance[i * columns + j] =
          std::min({substitution, distance[(i - 1) * columns + j] + 1, distance[i * columns + j - 1] + 1});
    }
  }
  errors_ += distance.back();
  reference_words_ += std::int64_t(reference.size());
  // Walk one best alignment back from the end to tally its errors.
  for (std::size_t i = rows - 1, j = columns - 1; i > 0 || j > 0;) {
    const std::int64_t here = distance[i * columns + j];
    if (i > 0 && j > 0 && here == distance[(i - 1) * columns + j - 1] + (reference[i - 1] != hypothesis[j - 1])) {
      if (reference[i - 1] != hypothesis[j - 1]) ++tally_[reference[i - 1] + " -> " + hypothesis[j - 1]];
      --i, --j;
    } else if (i > 0 && here == distance[(i - 1) * columns + j] + 1) {
      ++tally_[reference[i - 1] + " -> (nothing)"];
      --i;
    } else {
      ++tally_["(nothing) -> " + hypothesis[j - 1]];
      --j;
    }
  }
}

std::vector<std::pair<std::string, std::int64_t>> WordErrors::most_frequent(std::size_t count) const {
  std::vector<std::pair<std::string, std::int64_t>> errors(tally_.begin(), tally_.end());
  std::ranges::stable_sort(errors, [](const auto& a, const auto& b) { return a.second > b.second; });
  if (errors.size() > count) errors.resize(count);
  return errors;
}

}  // namespace speech
