#include "synthetic_speech.h"

#include <atomic>
#include <cmath>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "audio_file.h"
#include "number_words.h"
#include "phrases.h"
#include "rnnc/child_process.h"

namespace speech {

namespace fs = std::filesystem;

namespace {

const char* const kNoiseColours[] = {"whitenoise", "pinknoise", "brownnoise"};
constexpr double kNoiseSeconds = 60;

// Everything one utterance varies, drawn before any program runs.
struct UtterancePlan {
  std::vector<std::string> words;
  Voice voice;
  std::vector<std::string> synthesizer_options;
  // Some utterances are read word by word, each word synthesized alone and
  // the words joined with these pauses (seconds), as a telephone system
  // joins its prompts — the way the real-voice test set is spoken.
  std::vector<double> pauses;
  std::vector<std::string> sox_effects;
  int noise_colour = -1;  // index into kNoiseColours; -1: none
  double noise_snr_db = 0;
  std::uint64_t noise_offset = 0;
};

// flite's few voices sound far more like a person than espeak-ng's many:
// two utterances in five go to flite when a recipe has both.
const Voice& pick_voice(const std::vector<Voice>& voices, rnnc::Rng& rng) {
  std::vector<const Voice*> flite, espeak;
  for (const Voice& voice : voices) (voice.engine == Voice::Engine::flite ? flite : espeak).push_back(&voice);
  const bool use_flite = !flite.empty() && (espeak.empty() || rng.below(5) < 2);
  const std::vector<const Voice*>& group = use_flite ? flite : espeak;
  return *group[std::size_t(rng.below(group.size()))];
}

std::string number_text(double value) { return fmt::format("{:.3f}", value); }

UtterancePlan plan_utterance(const SynthesisRecipe& recipe, rnnc::Rng& rng) {
  UtterancePlan plan;
  plan.words = random_phrase(rng);
  plan.voice = pick_voice(recipe.voices, rng);
  if (plan.voice.engine == Voice::Engine::espeak) {
    plan.synthesizer_options = {"-s", std::to_string(120 + rng.below(80)), "-p", std::to_string(20 + rng.below(60)),
                                "-g", std::to_string(rng.below(8))};
  } else {
    plan.synthesizer_options = {"--setf", "duration_stretch=" + number_text(rng.uniform(0.85f, 1.3f))};
  }
  if (rng.below(20) < 7) {
    for (std::size_t w = 1; w < plan.words.size(); ++w) plan.pauses.push_back(rng.uniform(0.03f, 0.25f));
    if (plan.pauses.empty()) plan.pauses.push_back(0);  // one word: still spoken alone
  }
  std::vector<std::string>& effects = plan.sox_effects;
  effects = {"tempo", "-s", number_text(rng.uniform(0.85f, 1.2f))};
  if (rng.below(10) < 6) effects.insert(effects.end(), {"pitch", std::to_string(int(rng.below(500)) - 250)});
  if (rng.below(10) < 3) effects.insert(effects.end(), {"reverb", std::to_string(10 + rng.below(40))});
  if (rng.below(2) == 0) effects.insert(effects.end(), {"sinc", "300-3400"});
  effects.insert(effects.end(), {"channels", "1", "rate", std::to_string(kSampleRate)});
  effects.insert(effects.end(), {"gain", "-n", number_text(-rng.uniform(1.0f, 12.0f))});
  effects.insert(effects.end(), {"pad", number_text(rng.uniform(0.05f, 0.4f)), number_text(rng.uniform(0.05f, 0.4f))});
  if (rng.below(2) == 0) {
    plan.noise_colour = int(rng.below(3));
    plan.noise_snr_db = rng.uniform(5.0f, 30.0f);
    plan.noise_offset = rng.next();
  }
  return plan;
}

double rms(std::span<const float> samples) {
  double sum = 0;
  for (float sample : samples) sum += double(sample) * sample;
  return samples.empty() ? 0.0 : std::sqrt(sum / double(samples.size()));
}

// Noise of each colour from sox's synth effect, made once per cache.
std::vector<std::vector<float>> noise_recordings(const fs::path& cache) {
  std::vector<std::vector<float>> recordings;
  for (const char* colour : kNoiseColours) {
    const fs::path path = cache / fmt::format("{}.wav", colour);
    if (!fs::exists(path)) {
      const std::string temporary = path.string() + ".part.wav";
      rnnc::run_program({"sox", "-R", "-n", "-r", std::to_string(kSampleRate), "-c", "1", "-b", "16", temporary, "synth",
                   number_text(kNoiseSeconds), colour, "gain", "-n", "-3"});
      fs::rename(temporary, path);
    }
    recordings.push_back(read_audio(path.string()).samples);
  }
  return recordings;
}

void run_synthesizer(const UtterancePlan& plan, const std::string& text, const std::string& output) {
  std::vector<std::string> synthesizer;
  if (plan.voice.engine == Voice::Engine::espeak) {
    synthesizer = {"espeak-ng", "-v", plan.voice.name, "-w", output};
  } else {
    synthesizer = {"flite", "-voice", plan.voice.name, "-o", output};
  }
  synthesizer.insert(synthesizer.end(), plan.synthesizer_options.begin(), plan.synthesizer_options.end());
  if (plan.voice.engine == Voice::Engine::flite) synthesizer.push_back("-t");
  synthesizer.push_back(text);
  rnnc::run_program(synthesizer);
}

// The words synthesized one by one, trimmed and joined with the plan's pauses.
void synthesize_word_by_word(const UtterancePlan& plan, const std::string& output) {
  constexpr int kRate = 16000;
  std::vector<float> joined;
  for (std::size_t w = 0; w < plan.words.size(); ++w) {
    run_synthesizer(plan, plan.words[w], output);
    const std::vector<float> word = trim_silence(read_audio(output, kRate).samples, kRate);
    if (w > 0) joined.insert(joined.end(), std::size_t(plan.pauses[w - 1] * kRate), 0.0f);
    joined.insert(joined.end(), word.begin(), word.end());
  }
  write_wav(output, joined, kRate);
}

void synthesize(const UtterancePlan& plan, const std::vector<std::vector<float>>& noise, const fs::path& target) {
  const std::string raw = target.string() + ".raw.wav", shaped = target.string() + ".8k.wav";
  if (plan.pauses.empty()) {
    run_synthesizer(plan, rnnc::examples::join_words(plan.words), raw);
  } else {
    synthesize_word_by_word(plan, raw);
  }
  std::vector<std::string> sox = {"sox", "-R", raw, "-b", "16", shaped};
  sox.insert(sox.end(), plan.sox_effects.begin(), plan.sox_effects.end());
  rnnc::run_program(sox);
  fs::remove(raw);
  if (plan.noise_colour < 0) {
    fs::rename(shaped, target);
    return;
  }
  Audio audio = read_audio(shaped);
  const std::vector<float>& colour = noise[std::size_t(plan.noise_colour)];
  const double gain = rms(audio.samples) / (rms(colour) * std::pow(10.0, plan.noise_snr_db / 20));
  const std::size_t offset = plan.noise_offset % colour.size();
  for (std::size_t i = 0; i < audio.samples.size(); ++i) {
    audio.samples[i] += float(gain * colour[(offset + i) % colour.size()]);
  }
  write_wav(target.string(), audio.samples, kSampleRate);
  fs::remove(shaped);
}

std::vector<Voice> espeak_voices(const std::vector<std::string>& variants) {
  static const char* const kAccents[] = {"en-us",      "en-gb",          "en-gb-scotland", "en-gb-x-rp",
                                         "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029"};
  std::vector<Voice> voices;
  for (const char* accent : kAccents) {
    for (const std::string& variant : variants) voices.push_back({Voice::Engine::espeak, fmt::format("{}+{}", accent, variant)});
  }
  return voices;
}

}  // namespace

std::string Voice::label() const { return (engine == Engine::espeak ? "espeak-ng:" : "flite:") + name; }

const VoiceSplit& synthetic_voices() {
  static const VoiceSplit split = [] {
    VoiceSplit voices;
    // espeak-ng's voice variants that sound like a person (not its robots,
    // whispers or effects), less those held out below.
    voices.train = espeak_voices({"m1",      "m2",       "m4",      "m5",       "m7",      "m8",     "f1",
                                  "f3",      "f5",       "Alex",    "Alicia",   "Andrea",  "Andy",   "Annie",
                                  "Denis",   "Diogo",    "Gene",    "Henrique", "Hugo",    "Jacky",  "Marco",
                                  "Mario",   "Michael",  "Mike",    "Nguyen",   "adam",    "anika",  "announcer",
                                  "antonio", "aunty",    "belinda", "benjamin", "boris",   "caleb",  "david",
                                  "ed",      "edward",   "grandma", "grandpa",  "gustave", "iven",   "john",
                                  "kaukovalta", "klatt", "klatt2",  "klatt3",   "klatt4",  "marcelo", "max",
                                  "michel",  "miguel",   "pablo",   "paul",     "pedro",   "quincy", "rob",
                                  "robert",  "sandro",   "shelby",  "steph",    "steph2",  "travis", "victor",
                                  "zac"});
    for (const char* name : {"kal", "rms", "slt"}) voices.train.push_back({Voice::Engine::flite, name});
    voices.dev = espeak_voices({"m3", "f2", "Lee"});
    voices.test = espeak_voices({"m6", "f4", "linda", "norbert"});
    voices.test.push_back({Voice::Engine::flite, "awb"});
    return voices;
  }();
  return split;
}

std::vector<Utterance> synthesize_utterances(const std::string& cache, const SynthesisRecipe& recipe, int jobs,
                                             const std::function<void(std::int64_t done)>& progress) {
  const fs::path folder = fs::path(cache) / fmt::format("{}-v{}-s{}-n{}", recipe.split, kSetVersion, recipe.seed, recipe.count);
  if (auto existing = read_utterance_set(folder.string())) return *existing;
  fs::create_directories(folder);
  const std::vector<std::vector<float>> noise = noise_recordings(cache);

  rnnc::Rng rng(recipe.seed);
  std::vector<UtterancePlan> plans;
  std::vector<Utterance> utterances;
  for (std::int64_t i = 0; i < recipe.count; ++i) {
    plans.push_back(plan_utterance(recipe, rng));
    utterances.push_back({(folder / fmt::format("{:05}.wav", i)).string(), plans.back().voice.label(), plans.back().words});
  }

  std::atomic<std::int64_t> next{0}, done{0};
  std::mutex mutex;
  std::exception_ptr failure;
  auto work = [&] {
    for (std::int64_t i; (i = next++) < recipe.count;) {
      try {
        if (!fs::exists(utterances[std::size_t(i)].audio_path)) {
          synthesize(plans[std::size_t(i)], noise, utterances[std::size_t(i)].audio_path);
        }
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!failure) failure = std::current_exception();
        next = recipe.count;
        return;
      }
      std::lock_guard lock(mutex);
      progress(++done);
    }
  };
  std::vector<std::jthread> workers;
  for (int j = 0; j < std::max(jobs, 1); ++j) workers.emplace_back(work);
  workers.clear();
  if (failure) std::rethrow_exception(failure);
  write_manifest(folder.string(), utterances);
  return utterances;
}

}  // namespace speech
