// Reading and writing audio for the recognizer: any file libsndfile reads
// (WAV, FLAC, ...), mixed down to mono and resampled with libsamplerate to
// the rate the models use. Bad input (missing, empty, truncated, not audio,
// too long) throws AudioError with a one-line reason.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace speech {

class AudioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The recognizer's rate: telephone speech.
inline constexpr int kSampleRate = 8000;
// Longer files are refused before they are read: an utterance is seconds
// long, and an hour of audio would only be a mistake.
inline constexpr double kMaxSeconds = 600;

struct Audio {
  std::vector<float> samples;  // mono, in [-1, 1]
  int rate = 0;
  double seconds() const { return rate ? double(samples.size()) / rate : 0.0; }
};

// The file's audio, mono, at `rate` Hz.
Audio read_audio(const std::string& path, int rate = kSampleRate);

// `samples` resampled from `from` Hz to `to` Hz (best sinc converter).
std::vector<float> resample(std::span<const float> samples, int from, int to);

// The samples without the silence around them: from the first to the last
// 10 ms frame whose energy is within 50 dB of the loudest frame's (a
// fricative such as the s of "six" lies 30 to 40 dB below the vowel).
std::vector<float> trim_silence(std::span<const float> samples, int rate);

// A mono 16-bit PCM WAV file, written to a temporary name and renamed.
void write_wav(const std::string& path, std::span<const float> samples, int rate);

}  // namespace speech
