#include "acoustic_features.h"

#include <algorithm>

namespace speech {

Features acoustic_features(const LogMel& log_mel, std::span<const float> samples, int stack) {
  std::vector<float> frames = log_mel.compute(samples);
  const std::int64_t bands = log_mel.bands(), count = std::int64_t(frames.size()) / bands;
  normalize_per_utterance(frames, int(bands));
  Features features;
  features.width = bands * stack;
  features.frames = (count + stack - 1) / stack;
  features.values.assign(std::size_t(features.frames * features.width), 0.0f);
  // The last stacked frame repeats the utterance's last frame where it runs out.
  for (std::int64_t f = 0; f < features.frames; ++f) {
    for (int s = 0; s < stack; ++s) {
      const std::int64_t source = std::min(f * stack + s, count - 1);
      std::copy_n(frames.begin() + source * bands, bands, features.values.begin() + f * features.width + s * bands);
    }
  }
  return features;
}

void mask_bands_and_steps(Features& features, int bands, rnnc::Rng& rng) {
  constexpr int kMasks = 2, kWidestBandMask = 6;
  const std::int64_t stacked = features.width / bands;
  for (int mask = 0; mask < kMasks; ++mask) {
    const int width = int(rng.below(kWidestBandMask + 1)), first = int(rng.below(std::uint64_t(bands - width + 1)));
    for (std::int64_t f = 0; f < features.frames; ++f) {
      for (std::int64_t s = 0; s < stacked; ++s) {
        std::fill_n(features.values.begin() + f * features.width + s * bands + first, width, 0.0f);
      }
    }
    const std::int64_t steps = std::int64_t(rng.below(std::uint64_t(features.frames / 10 + 1)));
    const std::int64_t start = std::int64_t(rng.below(std::uint64_t(features.frames - steps + 1)));
    std::fill_n(features.values.begin() + start * features.width, steps * features.width, 0.0f);
  }
}

}  // namespace speech
