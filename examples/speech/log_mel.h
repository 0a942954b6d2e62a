// Log-mel filterbank features: 25 ms Hann windows every 10 ms, the power
// spectrum by FFTW, triangular filters evenly spaced on the mel scale
// (HTK's mel = 2595 log10(1 + f/700)), the log of each band's energy; and
// the per-utterance normalization the acoustic model reads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace speech {

struct LogMelOptions {
  int rate = 8000;
  int bands = 40;
  double window_seconds = 0.025, hop_seconds = 0.010;
  double low_hz = 20, high_hz = 0;  // 0: the Nyquist frequency
};

class LogMel {
 public:
  explicit LogMel(const LogMelOptions& options = {});
  ~LogMel();
  LogMel(const LogMel&) = delete;
  LogMel& operator=(const LogMel&) = delete;

  int bands() const { return options_.bands; }
  // [frames][bands]; no frame for fewer samples than one window.
  std::vector<float> compute(std::span<const float> samples) const;
  std::int64_t frames(std::size_t samples) const;
  // The centre frequency of each band, Hz.
  std::vector<double> band_centres() const;

 private:
  struct Fft;
  LogMelOptions options_;
  int window_, hop_, fft_size_;
  std::vector<float> hann_;
  std::vector<std::vector<std::pair<int, float>>> filters_;  // per band: (FFT bin, weight)
  std::unique_ptr<Fft> fft_;
};

// Each band of `features` ([frames][bands]) to zero mean and unit variance
// over the utterance (a constant band becomes 0).
void normalize_per_utterance(std::span<float> features, int bands);

}  // namespace speech
