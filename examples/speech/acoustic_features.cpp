#include "acoustic_features.h"

#include <algorithm>
#include <cassert>

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

void warp_frequencies(Features& features, std::span<const double> band_centres, double nyquist, double factor) {
  const std::size_t bands = band_centres.size();
  assert(bands >= 2 && features.width % std::int64_t(bands) == 0);
  const double knee = 0.8 * nyquist * std::min(factor, 1.0) / factor;
  std::vector<double> warped(bands);  // where each band's energy moves to, increasing
  for (std::size_t i = 0; i < bands; ++i) {
    const double f = band_centres[i];
    warped[i] = f <= knee ? f * factor
                          : nyquist - (nyquist - knee * factor) / (nyquist - knee) * (nyquist - f);
  }
  // For each band centre, the warped pair around it and the weight of the upper one.
  std::vector<std::pair<std::size_t, float>> sources(bands);
  for (std::size_t j = 0; j < bands; ++j) {
    const std::size_t upper =
        std::size_t(std::upper_bound(warped.begin(), warped.end(), band_centres[j]) - warped.begin());
    if (upper == 0) {
      sources[j] = {0, 0.0f};
    } else if (upper == bands) {
      sources[j] = {bands - 2, 1.0f};
    } else {
      sources[j] = {upper - 1, float((band_centres[j] - warped[upper - 1]) / (warped[upper] - warped[upper - 1]))};
    }
  }
  std::vector<float> frame(bands);
  for (std::size_t offset = 0; offset < features.values.size(); offset += bands) {
    float* values = features.values.data() + offset;
    std::copy_n(values, bands, frame.begin());
    for (std::size_t j = 0; j < bands; ++j) {
      const auto [lower, weight] = sources[j];
      values[j] = (1 - weight) * frame[lower] + weight * frame[lower + 1];
    }
  }
}

}  // namespace speech
