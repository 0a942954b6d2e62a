// The speech recognizer's audio and features (examples/speech/): log-mel
// bands, resampling, WAV files through libsndfile, trimming silence, and
// bad input.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>

#include "acoustic_features.h"
#include "audio_file.h"
#include "lexicon.h"
#include "log_mel.h"
#include "support/temporary_directory.h"

namespace {

std::vector<float> tone(double hz, int rate, double seconds, double amplitude = 0.5) {
  std::vector<float> samples(std::size_t(seconds * rate));
  for (std::size_t i = 0; i < samples.size(); ++i) {
    samples[i] = float(amplitude * std::sin(2 * std::numbers::pi * hz * double(i) / rate));
  }
  return samples;
}

// The frequency of a pure tone from its zero crossings.
double measured_frequency(const std::vector<float>& samples, int rate) {
  // Skip the resampler's edges.
  std::size_t begin = samples.size() / 10, end = samples.size() - samples.size() / 10;
  std::size_t first = 0, last = 0, crossings = 0;
  for (std::size_t i = begin + 1; i < end; ++i) {
    if (samples[i - 1] < 0 && samples[i] >= 0) {
      if (crossings++ == 0) first = i;
      last = i;
    }
  }
  return double(crossings - 1) * rate / double(last - first);
}

}  // namespace

TEST_CASE("speech features: a pure tone lands in the mel band centred nearest it", "[speech]") {
  speech::LogMel mel;
  std::vector<double> centres = mel.band_centres();
  REQUIRE(centres.size() == 40);
  for (double hz : {300.0, 1000.0, 2500.0}) {
    std::vector<float> features = mel.compute(tone(hz, 8000, 0.5));
    REQUIRE(mel.frames(4000) == 48);  // 25 ms windows every 10 ms
    REQUIRE(features.size() == 48 * 40);
    std::size_t nearest = 0;
    for (std::size_t b = 0; b < centres.size(); ++b) {
      if (std::fabs(centres[b] - hz) < std::fabs(centres[nearest] - hz)) nearest = b;
    }
    for (std::int64_t f = 0; f < 48; ++f) {
      const float* row = &features[std::size_t(f * 40)];
      INFO(hz << " Hz, frame " << f);
      CHECK(std::size_t(std::max_element(row, row + 40) - row) == nearest);
    }
  }
  // Normalized, each band has mean 0 and deviation 1 (or is 0 when constant).
  std::vector<float> features = mel.compute(tone(1000, 8000, 0.5));
  for (std::size_t i = 0; i < features.size(); ++i) features[i] += float(i % 7);  // not constant
  speech::normalize_per_utterance(features, 40);
  for (int band = 0; band < 40; ++band) {
    double sum = 0, squares = 0;
    for (std::size_t f = 0; f < 48; ++f) sum += features[f * 40 + std::size_t(band)];
    for (std::size_t f = 0; f < 48; ++f) squares += std::pow(features[f * 40 + std::size_t(band)] - sum / 48, 2);
    CHECK(sum / 48 == Approx(0).margin(1e-5));
    CHECK(std::sqrt(squares / 48) == Approx(1).epsilon(1e-4));
  }
}

TEST_CASE("speech features: a frequency warp moves a tone's band by its factor and leaves factor 1 alone", "[speech]") {
  speech::LogMel mel;
  const std::vector<double> centres = mel.band_centres();
  const auto nearest_band = [&](double hz) {
    return std::size_t(std::min_element(centres.begin(), centres.end(), [&](double a, double b) {
                         return std::fabs(a - hz) < std::fabs(b - hz);
                       }) - centres.begin());
  };
  for (double hz : {700.0, 1000.0, 2200.0}) {
    for (double factor : {0.9, 1.0, 1.1}) {
      speech::Features features{mel.compute(tone(hz, 8000, 0.5)), 48, 40};
      const std::vector<float> before = features.values;
      speech::warp_frequencies(features, centres, 4000, factor);
      if (factor == 1.0) {
        for (std::size_t i = 0; i < before.size(); ++i) REQUIRE(features.values[i] == Approx(before[i]).margin(1e-5));
      }
      const std::size_t expected = nearest_band(hz * factor);  // where the warped tone lies
      for (std::int64_t f = 0; f < 48; ++f) {
        const float* row = &features.values[std::size_t(f * 40)];
        INFO(hz << " Hz, factor " << factor << ", frame " << f);
        CHECK(std::size_t(std::max_element(row, row + 40) - row) == expected);
      }
    }
  }
}

TEST_CASE("speech features: SpecAugment zeroes whole bands and whole steps and nothing else", "[speech]") {
  rnnc::Rng rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    speech::Features features{std::vector<float>(std::size_t(50 * 120), 1.0f), 50, 120};  // 3 stacked frames of 40
    speech::mask_bands_and_steps(features, 40, rng);
    std::vector<bool> zero_band(40, true), zero_step(50, true);
    for (std::int64_t f = 0; f < 50; ++f) {
      for (std::int64_t i = 0; i < 120; ++i) {
        const float value = features.values[std::size_t(f * 120 + i)];
        REQUIRE((value == 0.0f || value == 1.0f));
        if (value != 0.0f) zero_band[std::size_t(i % 40)] = false, zero_step[std::size_t(f)] = false;
      }
    }
    // Every zero lies in a masked band (in all stacked frames and steps) or a masked step.
    for (std::int64_t f = 0; f < 50; ++f) {
      for (std::int64_t i = 0; i < 120; ++i) {
        if (features.values[std::size_t(f * 120 + i)] == 0.0f) {
          REQUIRE((zero_band[std::size_t(i % 40)] || zero_step[std::size_t(f)]));
        }
      }
    }
    CHECK(std::count(zero_band.begin(), zero_band.end(), true) <= 12);
    CHECK(std::count(zero_step.begin(), zero_step.end(), true) <= 10);
  }
}

TEST_CASE("speech features: resampling 8k, 16k and 22.05k keeps a tone's frequency", "[speech]") {
  std::vector<float> at_8k = tone(440, 8000, 1.0);
  for (int rate : {16000, 22050}) {
    std::vector<float> up = speech::resample(at_8k, 8000, rate);
    CHECK(std::fabs(double(up.size()) - rate) <= 2);
    CHECK(measured_frequency(up, rate) == Approx(440).epsilon(0.002));
    std::vector<float> back = speech::resample(up, rate, 8000);
    CHECK(measured_frequency(back, 8000) == Approx(440).epsilon(0.002));
  }
}

TEST_CASE("speech features: a WAV file round trip through libsndfile", "[speech]") {
  rnnc::testing::TemporaryDirectory directory;
  std::vector<float> samples = tone(700, 16000, 0.3);
  speech::write_wav(directory.file("tone.wav"), samples, 16000);
  CHECK(directory.entries() == std::vector<std::string>{"tone.wav"});  // no temporary left
  speech::Audio same = speech::read_audio(directory.file("tone.wav"), 16000);
  REQUIRE(same.samples.size() == samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) CHECK(same.samples[i] == Approx(samples[i]).margin(1.0 / 32768));
  // Read at 8 kHz: resampled, half the samples, the same tone.
  speech::Audio low = speech::read_audio(directory.file("tone.wav"));
  CHECK(low.rate == 8000);
  CHECK(std::fabs(low.seconds() - 0.3) < 0.002);
  CHECK(measured_frequency(low.samples, 8000) == Approx(700).epsilon(0.003));
}

TEST_CASE("speech features: missing, empty, truncated and non-audio files are one-line errors", "[speech]") {
  rnnc::testing::TemporaryDirectory directory;
  CHECK_THROWS_WITH(speech::read_audio(directory.file("none.wav")), Catch::Contains("no such file"));
  std::ofstream(directory.file("empty.wav")).flush();
  CHECK_THROWS_AS(speech::read_audio(directory.file("empty.wav")), speech::AudioError);
  std::ofstream(directory.file("text.wav")) << "this is not audio at all, just some words\n";
  CHECK_THROWS_AS(speech::read_audio(directory.file("text.wav")), speech::AudioError);
  // A WAV header that promises more samples than follow: 1000 bytes left.
  speech::write_wav(directory.file("whole.wav"), tone(440, 8000, 1.0), 8000);
  std::ifstream whole(directory.file("whole.wav"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(whole)), {});
  std::ofstream(directory.file("cut.wav"), std::ios::binary) << bytes.substr(0, 44 + 1000);
  // libsndfile would read the 500 samples that are there; a cut recording is refused.
  CHECK_THROWS_WITH(speech::read_audio(directory.file("cut.wav")), Catch::Contains("is truncated"));
  std::ofstream(directory.file("header.wav"), std::ios::binary) << bytes.substr(0, 30);
  CHECK_THROWS_AS(speech::read_audio(directory.file("header.wav")), speech::AudioError);
  // Longer than the limit: refused before its samples are read.
  speech::write_wav(directory.file("long.wav"), std::vector<float>(std::size_t(601 * 8000), 0.0f), 8000);
  CHECK_THROWS_WITH(speech::read_audio(directory.file("long.wav")), Catch::Contains("more than the limit of 600 s"));
  // Silence is audio: features, no error.
  speech::write_wav(directory.file("silence.wav"), std::vector<float>(8000, 0.0f), 8000);
  speech::Audio silence = speech::read_audio(directory.file("silence.wav"));
  speech::LogMel mel;
  std::vector<float> features = mel.compute(silence.samples);
  speech::normalize_per_utterance(features, 40);
  for (float value : features) CHECK(value == 0.0f);
}

TEST_CASE("speech features: trimming silence keeps a quiet fricative and drops the silence around it", "[speech]") {
  // 0.3 s of silence, 0.1 s of noise-like sound 35 dB below 0.2 s of a loud tone, 0.3 s of silence.
  std::vector<float> samples(2400, 0.0f);
  const std::vector<float> quiet = tone(3000, 8000, 0.1, 0.5 * std::pow(10.0, -35.0 / 20));
  const std::vector<float> loud = tone(500, 8000, 0.2);
  samples.insert(samples.end(), quiet.begin(), quiet.end());
  samples.insert(samples.end(), loud.begin(), loud.end());
  samples.insert(samples.end(), 2400, 0.0f);
  const std::vector<float> trimmed = speech::trim_silence(samples, 8000);
  CHECK(trimmed.size() == quiet.size() + loud.size());
  CHECK(trimmed.front() == quiet.front());
  CHECK(speech::trim_silence(std::vector<float>(40, 0.0f), 8000).size() == 40);  // under one frame: as it is
}

TEST_CASE("speech lexicon: the vocabulary's pronunciations build the decoder's trie", "[speech]") {
  speech::Lexicon lexicon = speech::read_lexicon(std::string(RNNC_SOURCE_DIR) + "/examples/speech/lexicon.txt");
  // zero ... nineteen, twenty ... ninety, hundred, thousand, million, oh, minus.
  REQUIRE(lexicon.words.size() == 33);
  CHECK(lexicon.classes() == 33);  // the blank and 32 phonemes
  CHECK(lexicon.word_index("seventeen") >= 0);
  CHECK(lexicon.word_index("eleventy") == -1);
  rnnc::PronunciationTrie trie = lexicon.trie();
  for (std::size_t w = 0; w < lexicon.words.size(); ++w) {
    INFO(lexicon.words[w]);
    CHECK(trie.find(lexicon.pronunciations[w]) == std::int32_t(w));
    for (std::int32_t phoneme : lexicon.pronunciations[w]) CHECK((phoneme > speech::kBlank && phoneme < lexicon.classes()));
  }
  // "six" begins "sixteen" and "sixty": words that are prefixes of others,
  // which is why the decoder keeps more than one reading of a prefix.
  const auto& six = lexicon.pronunciations[std::size_t(lexicon.word_index("six"))];
  const auto& sixty = lexicon.pronunciations[std::size_t(lexicon.word_index("sixty"))];
  CHECK(std::equal(six.begin(), six.end(), sixty.begin()));
  rnnc::testing::TemporaryDirectory directory;
  std::ofstream(directory.file("bad.txt")) << "# comment\none\tw V n\none\tw A n\n";
  CHECK_THROWS_WITH(speech::read_lexicon(directory.file("bad.txt")), Catch::Contains("bad.txt:3: 'one' is listed twice"));
}
