#include "real_voice.h"

#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "audio_file.h"
#include "number_words.h"
#include "phrases.h"

namespace speech {

namespace fs = std::filesystem;

namespace {

void append_silence(std::vector<float>& samples, double seconds) {
  samples.insert(samples.end(), std::size_t(seconds * kSampleRate), 0.0f);
}

}  // namespace

std::string prompt_path(const std::string& prompts, const std::string& word) {
  static const std::map<std::string, int> kNumbered = [] {
    std::map<std::string, int> numbered;
    for (int n = 0; n < 20; ++n) numbered[rnnc::examples::number_words(n).front()] = n;
    for (int n = 20; n < 100; n += 10) numbered[rnnc::examples::number_words(n).front()] = n;
    return numbered;
  }();
  auto found = kNumbered.find(word);
  return (fs::path(prompts) / (found == kNumbered.end() ? word : std::to_string(found->second))).string() + ".wav";
}

std::vector<Utterance> real_voice_utterances(const std::string& cache, const std::string& prompts, std::int64_t count,
                                             std::uint64_t seed) {
  const fs::path folder = fs::path(cache) / fmt::format("real-v{}-s{}-n{}", kSetVersion, seed, count);
  if (auto existing = read_utterance_set(folder.string())) return *existing;
  fs::create_directories(folder);
  std::map<std::string, std::vector<float>> recordings;
  rnnc::Rng rng(seed);
  std::vector<Utterance> utterances;
  for (std::int64_t i = 0; i < count; ++i) {
    Utterance utterance{(folder / fmt::format("{:05}.wav", i)).string(), "asterisk:allison", random_phrase(rng)};
    std::vector<float> samples;
    append_silence(samples, rng.uniform(0.1f, 0.4f));
    for (std::size_t w = 0; w < utterance.words.size(); ++w) {
      const std::string& word = utterance.words[w];
      if (!recordings.contains(word)) recordings[word] = trim_silence(read_audio(prompt_path(prompts, word)).samples, kSampleRate);
      if (w > 0) append_silence(samples, rng.uniform(0.03f, 0.25f));
      samples.insert(samples.end(), recordings[word].begin(), recordings[word].end());
    }
    append_silence(samples, rng.uniform(0.1f, 0.4f));
    write_wav(utterance.audio_path, samples, kSampleRate);
    utterances.push_back(std::move(utterance));
  }
  write_manifest(folder.string(), utterances);
  return utterances;
}

}  // namespace speech
