#include "audio_file.h"

#include <samplerate.h>
#include <sndfile.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace speech {

namespace {

struct SndfileCloser {
  void operator()(SNDFILE* file) const { sf_close(file); }
};
using SndfileHandle = std::unique_ptr<SNDFILE, SndfileCloser>;

// libsndfile reads what there is of a truncated file; its log of the
// header notes each chunk that claims more bytes than the file holds as
// "data : 77630 (should be 1956)".
bool claims_more_than_it_holds(SNDFILE* file) {
  std::string log(8192, '\0');
  sf_command(file, SFC_GET_LOG_INFO, log.data(), int(log.size()));
  for (std::size_t line = 0; line < log.size() && log[line] != '\0';) {
    const std::size_t end = std::min(log.find('\n', line), log.size());
    const std::string_view text(log.data() + line, end - line);
    if (text.starts_with("data") && text.find("should be") != std::string_view::npos) return true;
    line = end + 1;
  }
  return false;
}

}  // namespace

Audio read_audio(const std::string& path, int rate) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) throw AudioError(fmt::format("cannot open '{}': no such file", path));
  SF_INFO info{};
  SndfileHandle file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file) throw AudioError(fmt::format("cannot read '{}': {}", path, sf_strerror(nullptr)));
  if (info.channels < 1 || info.samplerate < 1) throw AudioError(fmt::format("'{}' has no audio", path));
  if (claims_more_than_it_holds(file.get())) throw AudioError(fmt::format("'{}' is truncated", path));
  if (double(info.frames) > kMaxSeconds * info.samplerate) {
    throw AudioError(fmt::format("'{}' is {:.0f} s long, more than the limit of {:.0f} s", path,
                                 double(info.frames) / info.samplerate, kMaxSeconds));
  }
  std::vector<float> interleaved(std::size_t(info.frames * info.channels));
  sf_count_t read = sf_readf_float(file.get(), interleaved.data(), info.frames);
  if (read != info.frames) {
    throw AudioError(fmt::format("'{}' is truncated: {} of {} frames", path, read, info.frames));
  }
  std::vector<float> mono(std::size_t(info.frames));
  for (sf_count_t f = 0; f < info.frames; ++f) {
    double sum = 0;
    for (int c = 0; c < info.channels; ++c) sum += interleaved[std::size_t(f * info.channels + c)];
    mono[std::size_t(f)] = float(sum / info.channels);
  }
  return {resample(mono, info.samplerate, rate), rate};
}

std::vector<float> resample(std::span<const float> samples, int from, int to) {
  if (from == to || samples.empty()) return {samples.begin(), samples.end()};
  const double ratio = double(to) / double(from);
  std::vector<float> out(std::size_t(double(samples.size()) * ratio) + 16);
  SRC_DATA data{};
  data.data_in = samples.data();
  data.input_frames = long(samples.size());
  data.data_out = out.data();
  data.output_frames = long(out.size());
  data.src_ratio = ratio;
  if (int error = src_simple(&data, SRC_SINC_BEST_QUALITY, 1)) {
    throw AudioError(fmt::format("cannot resample {} Hz to {} Hz: {}", from, to, src_strerror(error)));
  }
  out.resize(std::size_t(data.output_frames_gen));
  return out;
}

void write_wav(const std::string& path, std::span<const float> samples, int rate) {
  const std::string temporary = path + ".tmp";
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  {
    SndfileHandle file(sf_open(temporary.c_str(), SFM_WRITE, &info));
    if (!file) throw AudioError(fmt::format("cannot write '{}': {}", path, sf_strerror(nullptr)));
    // Clipped rather than wrapped when a sample leaves [-1, 1].
    sf_command(file.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);
    if (sf_writef_float(file.get(), samples.data(), sf_count_t(samples.size())) != sf_count_t(samples.size())) {
      std::remove(temporary.c_str());
      throw AudioError(fmt::format("cannot write '{}': {}", path, sf_strerror(file.get())));
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::remove(temporary.c_str());
    throw AudioError(fmt::format("cannot write '{}': {}", path, error.message()));
  }
}

std::vector<float> trim_silence(std::span<const float> samples, int rate) {
  const std::size_t frame = std::size_t(rate) / 100, frames = samples.size() / frame;
  std::vector<double> energy(frames);
  for (std::size_t f = 0; f < frames; ++f) {
    for (std::size_t i = f * frame; i < (f + 1) * frame; ++i) energy[f] += double(samples[i]) * samples[i];
  }
  if (frames == 0) return {samples.begin(), samples.end()};
  const double threshold = *std::ranges::max_element(energy) * 1e-5;
  std::size_t first = 0, last = frames - 1;
  while (first < last && energy[first] < threshold) ++first;
  while (last > first && energy[last] < threshold) --last;
  return {samples.begin() + std::ptrdiff_t(first * frame), samples.begin() + std::ptrdiff_t((last + 1) * frame)};
}

}  // namespace speech
