#include "support/random_data.h"

namespace rnnc::testing {

std::vector<float> RandomData::uniform(std::size_t count, float scale) {
  constexpr double engine_range = static_cast<double>(std::mt19937::max()) + 1.0;
  std::vector<float> values(count);
  for (float& value : values) {
    double unit = static_cast<double>(engine_()) / engine_range;  // [0, 1)
    value = static_cast<float>((2.0 * unit - 1.0) * scale);
  }
  return values;
}

}  // namespace rnnc::testing
