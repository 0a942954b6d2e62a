// The speech recognizer's parts above the features: number phrases and
// their words, word error rates, the real-voice prompts, the language
// model as the decoder asks it against the same model read in a batch, and
// the acoustic model's CTC gradients against finite differences.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <set>

#include "acoustic_model.h"
#include "lexicon.h"
#include "number_words.h"
#include "phrases.h"
#include "real_voice.h"
#include "support/finite_differences.h"
#include "support/random_data.h"
#include "word_errors.h"
#include "word_lm.h"

namespace {

speech::Lexicon project_lexicon() { return speech::read_lexicon(RNNC_SOURCE_DIR "/examples/speech/lexicon.txt"); }

rnnc::CellSpec lstm(std::int64_t hidden) {
  return rnnc::CellSpec::from_file(RNNC_SOURCE_DIR "/dsl/lstm.cell", {{"H", hidden}});
}

std::string words_of(std::int64_t number) { return rnnc::examples::join_words(rnnc::examples::number_words(number)); }

}  // namespace

TEST_CASE("speech phrases: numbers are read out as a telephone system reads them", "[speech]") {
  CHECK(words_of(0) == "zero");
  CHECK(words_of(412) == "four hundred twelve");
  CHECK(words_of(70009) == "seventy thousand nine");
  CHECK(words_of(-30) == "minus thirty");
  CHECK(words_of(42703) == "forty two thousand seven hundred three");
  CHECK(words_of(1'000'000) == "one million");
  CHECK(words_of(999'999'999) ==
        "nine hundred ninety nine million nine hundred ninety nine thousand nine hundred ninety nine");
  CHECK_THROWS_WITH(rnnc::examples::number_words(1'000'000'000), Catch::Contains("beyond the numbers"));
}

TEST_CASE("speech phrases: random phrases use only the lexicon's words and every kind of phrase", "[speech]") {
  const speech::Lexicon lexicon = project_lexicon();
  rnnc::Rng rng(4);
  std::set<std::string> seen;
  for (int i = 0; i < 3000; ++i) {
    const std::vector<std::string> phrase = speech::random_phrase(rng);
    REQUIRE(!phrase.empty());
    for (const std::string& word : phrase) {
      INFO(word);
      REQUIRE(lexicon.word_index(word) >= 0);
      seen.insert(word);
    }
  }
  CHECK(seen.size() == lexicon.words.size());  // every word, "oh" and "minus" and "million" included
}

TEST_CASE("speech evaluation: word error rate counts the fewest edits and names them", "[speech]") {
  speech::WordErrors errors;
  errors.add({"four", "hundred", "twelve"}, {"four", "hundred", "twelve"});
  CHECK(errors.errors() == 0);
  errors.add({"seventy", "thousand", "nine"}, {"seventeen", "thousand", "nine", "nine"});
  CHECK(errors.errors() == 2);
  errors.add({"oh", "five", "two"}, {"five", "two"});
  CHECK(errors.errors() == 3);
  CHECK(errors.reference_words() == 9);
  CHECK(errors.rate() == Approx(3.0 / 9));
  const auto frequent = errors.most_frequent(5);
  REQUIRE(frequent.size() == 3);
  std::set<std::string> names;
  for (const auto& [name, count] : frequent) names.insert(name);
  CHECK(names == std::set<std::string>{"seventy -> seventeen", "(nothing) -> nine", "oh -> (nothing)"});
}

TEST_CASE("speech real voice: it has a recording of every word of the lexicon", "[speech]") {
  for (const std::string& word : project_lexicon().words) {
    const std::string path = speech::prompt_path(speech::kAsteriskDigits, word);
    INFO(path);
    CHECK(std::filesystem::is_regular_file(path));
  }
  CHECK(speech::prompt_path("/p", "seventy") == "/p/70.wav");
  CHECK(speech::prompt_path("/p", "oh") == "/p/oh.wav");
}

TEST_CASE("speech language model: it scores a sentence word by word as it does in a batch", "[speech]") {
  speech::WordLm model(lstm(8), {.words = 5, .embedding = 4, .seed = 3});
  const std::vector<speech::Sentence> sentences = {{0, 3, 2}, {4}, {1, 1, 0, 2}};
  speech::WordLmScorer scorer(model);
  for (const speech::Sentence& sentence : sentences) {
    std::int64_t tokens = 0;
    const double batch_loss = model.total_loss(std::span(&sentence, 1), tokens);
    CHECK(tokens == std::int64_t(sentence.size()) + 1);
    double scored = -scorer.log_probability({}, sentence.empty() ? model.end_of_sentence() : sentence[0]);
    for (std::size_t i = 1; i <= sentence.size(); ++i) {
      const std::int32_t next = i < sentence.size() ? sentence[i] : model.end_of_sentence();
      scored -= scorer.log_probability(std::span(sentence).first(i), next);
    }
    CHECK(scored == Approx(batch_loss).epsilon(1e-4));
  }
  // Add-one counts over the words 0..4 and the end: 3 3 3 2 2 | 4, of 17.
  const double expected = std::exp(-(6 * std::log(3.0 / 17) + 2 * std::log(2.0 / 17) + 3 * std::log(4.0 / 17)) / 11);
  CHECK(speech::unigram_perplexity(sentences, sentences, 5) == Approx(expected).epsilon(1e-9));
}

TEST_CASE("speech acoustic model: its CTC gradients match finite differences", "[speech]") {
  const std::int64_t width = 3, classes = 4;
  speech::AcousticModel model(lstm(3), {.input = width, .layers = 2, .classes = classes, .seed = 5});
  rnnc::testing::RandomData data(12);
  speech::Features first{data.uniform(7 * width), 7, width}, second{data.uniform(5 * width), 5, width};
  const std::vector<std::int32_t> first_labels = {1, 2, 2}, second_labels = {3, 1};
  const std::vector<speech::LabelledUtterance> batch = {{&first, first_labels}, {&second, second_labels}};
  std::vector<rnnc::TrainableTensor> tensors = model.parameters();
  const double loss = model.train_step(batch);
  CHECK(loss == Approx(model.loss(batch)).epsilon(1e-5));
  auto objective = [&] {
    model.parameters_changed();
    return model.loss(batch);
  };
  for (const rnnc::TrainableTensor& tensor : tensors) {
    rnnc::testing::check_finite_differences(tensor.value, tensor.gradient, objective, tensor.name);
  }
  // Too few frames for the labels is reported, not a NaN.
  speech::Features short_one{data.uniform(2 * width), 2, width};
  const std::vector<speech::LabelledUtterance> impossible = {{&short_one, first_labels}};
  CHECK_THROWS_AS(model.loss(impossible), rnnc::RuntimeError);
  // Log posteriors are normalized per frame.
  const speech::Features* both[] = {&first, &second};
  const std::vector<std::vector<float>> posteriors = model.log_posteriors(both);
  REQUIRE(posteriors[1].size() == std::size_t(5 * classes));
  for (std::int64_t t = 0; t < 5; ++t) {
    double total = 0;
    for (std::int64_t c = 0; c < classes; ++c) total += std::exp(double(posteriors[1][std::size_t(t * classes + c)]));
    CHECK(total == Approx(1.0).epsilon(1e-5));
  }
}
