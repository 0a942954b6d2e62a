#include "rnnc/init.h"

#include <cmath>

#include <fmt/format.h>

#include "rnnc/cell.h"

namespace rnnc {

namespace {

float inverse_square_root_of(std::int64_t size, const char* what) {
  if (size <= 0) throw RuntimeError(fmt::format("{} must be positive, got {}", what, size));
  return float(1.0 / std::sqrt(double(size)));
}

}  // namespace

void init_uniform(std::span<float> values, float bound, Rng& rng) {
  if (!(bound >= 0)) throw RuntimeError(fmt::format("uniform bound must be >= 0, got {}", bound));
  for (float& value : values) value = rng.uniform(-bound, bound);
}

float rnn_default_bound(std::int64_t hidden) { return inverse_square_root_of(hidden, "hidden size"); }

float linear_default_bound(std::int64_t fan_in) { return inverse_square_root_of(fan_in, "fan-in"); }

void init_xavier_uniform(std::span<float> values, std::int64_t fan_in, std::int64_t fan_out, Rng& rng) {
  if (fan_in < 0 || fan_out < 0 || fan_in + fan_out == 0)
    throw RuntimeError(fmt::format("xavier init needs fan-in + fan-out > 0, got {} and {}", fan_in, fan_out));
  init_uniform(values, float(std::sqrt(6.0 / double(fan_in + fan_out))), rng);
}

void init_normal(std::span<float> values, float stddev, Rng& rng) {
  if (!(stddev >= 0)) throw RuntimeError(fmt::format("standard deviation must be >= 0, got {}", stddev));
  for (float& value : values) value = stddev * rng.normal();
}

}  // namespace rnnc
