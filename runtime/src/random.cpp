#include "rnnc/random.h"

#include <cmath>
#include <numbers>

#include "rnnc/cell.h"

namespace rnnc {

namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

std::uint64_t rotate_left(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// The top 53 bits as a double in [0, 1): exact, so no rounding can reach 1.
double unit_interval(std::uint64_t bits) { return double(bits >> 11) * 0x1p-53; }

}  // namespace

Rng::Rng(std::uint64_t seed) {
  // splitmix64 never yields four zero words, the one state xoshiro must avoid.
  for (std::uint64_t& word : state_) word = splitmix64(seed);
}

std::uint64_t Rng::next() {
  std::uint64_t result = rotate_left(state_[1] * 5, 7) * 9;
  std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotate_left(state_[3], 45);
  return result;
}

float Rng::uniform(float lo, float hi) {
  float value = float(lo + (double(hi) - lo) * unit_interval(next()));
  // Rounding to float can land on hi itself; keep the interval half-open.
  return value < hi ? value : std::nextafter(hi, lo);
}

float Rng::normal() {
  // Box–Muller in double, rounded once to float, so libm's last-bit
  // differences between platforms do not reach the result. u1 is in (0, 1]
  // so the logarithm is finite.
  double u1 = 1.0 - unit_interval(next());
  double u2 = unit_interval(next());
  return float(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2));
}

std::uint64_t Rng::below(std::uint64_t n) {
  if (n == 0) throw RuntimeError("Rng::below(n) needs n > 0");
  // Reject the lowest 2^64 mod n values so every remainder is equally likely.
  std::uint64_t threshold = -n % n;
  for (;;) {
    std::uint64_t bits = next();
    if (bits >= threshold) return bits % n;
  }
}

}  // namespace rnnc
