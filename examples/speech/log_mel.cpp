#include "log_mel.h"

#include <fftw3.h>

#include <cmath>
#include <mutex>
#include <numbers>

namespace speech {

namespace {

double hz_to_mel(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }
double mel_to_hz(double mel) { return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0); }

// FFTW's planner is not thread-safe; executing a plan is.
std::mutex& planner_mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

struct LogMel::Fft {
  explicit Fft(int size) : input(fftwf_alloc_real(std::size_t(size))), output(fftwf_alloc_complex(std::size_t(size / 2 + 1))) {
    std::lock_guard lock(planner_mutex());
    plan = fftwf_plan_dft_r2c_1d(size, input, output, FFTW_ESTIMATE);
  }
  ~Fft() {
    std::lock_guard lock(planner_mutex());
    fftwf_destroy_plan(plan);
    fftwf_free(input);
    fftwf_free(output);
  }
  float* input;
  fftwf_complex* output;
  fftwf_plan plan;
  std::mutex use;  // one buffer pair per plan
};

LogMel::LogMel(const LogMelOptions& options) : options_(options) {
  window_ = int(std::lround(options_.window_seconds * options_.rate));
  hop_ = int(std::lround(options_.hop_seconds * options_.rate));
  fft_size_ = 1;
  while (fft_size_ < window_) fft_size_ *= 2;
  hann_.resize(std::size_t(window_));
  for (int i = 0; i < window_; ++i) hann_[std::size_t(i)] = float(0.5 - 0.5 * std::cos(2 * std::numbers::pi * i / window_));
  const double high = options_.high_hz > 0 ? options_.high_hz : options_.rate / 2.0;
  const double low_mel = hz_to_mel(options_.low_hz), high_mel = hz_to_mel(high);
  const double bin_hz = double(options_.rate) / fft_size_;
  filters_.resize(std::size_t(options_.bands));
  for (int band = 0; band < options_.bands; ++band) {
    // Triangle from the previous band's centre through its own to the next.
    double left = mel_to_hz(low_mel + (high_mel - low_mel) * band / (options_.bands + 1));
    double centre = mel_to_hz(low_mel + (high_mel - low_mel) * (band + 1) / (options_.bands + 1));
    double right = mel_to_hz(low_mel + (high_mel - low_mel) * (band + 2) / (options_.bands + 1));
    for (int bin = 0; bin <= fft_size_ / 2; ++bin) {
      double hz = bin * bin_hz;
      double weight = hz <= left || hz >= right ? 0.0 : hz <= centre ? (hz - left) / (centre - left) : (right - hz) / (right - centre);
      if (weight > 0) filters_[std::size_t(band)].emplace_back(bin, float(weight));
    }
  }
  fft_ = std::make_unique<Fft>(fft_size_);
}

LogMel::~LogMel() = default;

std::int64_t LogMel::frames(std::size_t samples) const {
  return samples < std::size_t(window_) ? 0 : std::int64_t((samples - std::size_t(window_)) / std::size_t(hop_)) + 1;
}

std::vector<double> LogMel::band_centres() const {
  const double high = options_.high_hz > 0 ? options_.high_hz : options_.rate / 2.0;
  const double low_mel = hz_to_mel(options_.low_hz), high_mel = hz_to_mel(high);
  std::vector<double> centres;
  for (int band = 0; band < options_.bands; ++band) {
    centres.push_back(mel_to_hz(low_mel + (high_mel - low_mel) * (band + 1) / (options_.bands + 1)));
  }
  return centres;
}

std::vector<float> LogMel::compute(std::span<const float> samples) const {
  const std::int64_t count = frames(samples.size());
  std::vector<float> features(std::size_t(count * options_.bands));
  std::vector<float> power(std::size_t(fft_size_ / 2 + 1));
  std::lock_guard lock(fft_->use);
  for (std::int64_t f = 0; f < count; ++f) {
    const float* frame = samples.data() + f * hop_;
    for (int i = 0; i < fft_size_; ++i) fft_->input[i] = i < window_ ? frame[i] * hann_[std::size_t(i)] : 0.0f;
    fftwf_execute(fft_->plan);
    for (std::size_t bin = 0; bin < power.size(); ++bin) {
      power[bin] = fft_->output[bin][0] * fft_->output[bin][0] + fft_->output[bin][1] * fft_->output[bin][1];
    }
    for (int band = 0; band < options_.bands; ++band) {
      double energy = 0;
      for (auto [bin, weight] : filters_[std::size_t(band)]) energy += weight * power[std::size_t(bin)];
      features[std::size_t(f * options_.bands + band)] = float(std::log(energy + 1e-10));
    }
  }
  return features;
}

void normalize_per_utterance(std::span<float> features, int bands) {
  const std::size_t frames = features.size() / std::size_t(bands);
  if (frames == 0) return;
  for (int band = 0; band < bands; ++band) {
    double sum = 0, squares = 0;
    for (std::size_t f = 0; f < frames; ++f) sum += features[f * std::size_t(bands) + std::size_t(band)];
    const double mean = sum / double(frames);
    for (std::size_t f = 0; f < frames; ++f) {
      double d = features[f * std::size_t(bands) + std::size_t(band)] - mean;
      squares += d * d;
    }
    const double deviation = std::sqrt(squares / double(frames));
    for (std::size_t f = 0; f < frames; ++f) {
      float& value = features[f * std::size_t(bands) + std::size_t(band)];
      value = deviation > 1e-6 ? float((value - mean) / deviation) : 0.0f;
    }
  }
}

}  // namespace speech
