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

}  // namespace speech
