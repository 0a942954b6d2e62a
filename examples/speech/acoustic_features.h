// What the acoustic model reads: log-mel frames of an utterance, each band
// normalized over the utterance, then every `stack` consecutive frames
// joined into one and only every `stack`-th kept — a third of the steps
// for the recurrent layers at 30 ms each, still several per phoneme.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "log_mel.h"
#include "rnnc/random.h"

namespace speech {

struct Features {
  std::vector<float> values;  // [frames][width]
  std::int64_t frames = 0, width = 0;
};

// An utterance shorter than one window has no frames.
Features acoustic_features(const LogMel& log_mel, std::span<const float> samples, int stack);

// SpecAugment (Park et al., 2019) for training: two bands of up to 6 mel
// bands (the same bands in each stacked frame) and two runs of up to 10 %
// of the steps set to 0, the mean of a normalized band, so that the model
// cannot lean on any one band or moment of a voice it will not hear again.
void mask_bands_and_steps(Features& features, int bands, rnnc::Rng& rng);

// Vocal tract length perturbation (Jaitly and Hinton, 2013) for training:
// the spectrum stretched by `factor` (about 0.9 to 1.1: a shorter or longer
// vocal tract) below 80 % of `nyquist` and squeezed above it so that the
// band edges stay put, read off at the band centres by linear
// interpolation between the warped ones; the same warp in every stacked
// frame. Voices the model never heard differ from its training voices
// most in where their formants lie.
void warp_frequencies(Features& features, std::span<const double> band_centres, double nyquist, double factor);

}  // namespace speech
