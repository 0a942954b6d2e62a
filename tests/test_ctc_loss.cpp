// The CTC loss (rnnc/ctc_loss.h) against a brute-force sum over every
// alignment on tiny cases, its gradient against finite differences, and
// its refusals.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "rnnc/cell.h"
#include "rnnc/ctc_loss.h"

namespace {

// p(labels) as the sum, over all classes^frames paths, of the paths that
// collapse (merge repeats, drop blanks) to the labels.
double brute_force_probability(const std::vector<float>& logits, std::int64_t frames, std::int64_t classes,
                               const std::vector<std::int32_t>& labels, std::int32_t blank) {
  std::vector<double> probs(logits.size());
  for (std::int64_t t = 0; t < frames; ++t) {
    double sum = 0;
    for (std::int64_t c = 0; c < classes; ++c) sum += std::exp(double(logits[std::size_t(t * classes + c)]));
    for (std::int64_t c = 0; c < classes; ++c) {
      probs[std::size_t(t * classes + c)] = std::exp(double(logits[std::size_t(t * classes + c)])) / sum;
    }
  }
  std::int64_t paths = 1;
  for (std::int64_t t = 0; t < frames; ++t) paths *= classes;
  double total = 0;
  for (std::int64_t path = 0; path < paths; ++path) {
    std::vector<std::int32_t> collapsed;
    double p = 1;
    std::int64_t rest = path;
    std::int32_t previous = -1;
    for (std::int64_t t = 0; t < frames; ++t) {
      std::int32_t c = std::int32_t(rest % classes);
      rest /= classes;
      p *= probs[std::size_t(t * classes + c)];
      if (c != blank && c != previous) collapsed.push_back(c);
      previous = c;
    }
    if (collapsed == labels) total += p;
  }
  return total;
}

std::vector<float> random_logits(std::size_t count, std::mt19937& random) {
  std::normal_distribution<float> normal(0.0f, 1.5f);
  std::vector<float> values(count);
  for (float& value : values) value = normal(random);
  return values;
}

rnnc::CtcBatch one_sample(const std::vector<float>& logits, std::int64_t frames, std::int64_t classes,
                          const std::vector<std::int32_t>& labels, std::int32_t blank) {
  return {frames, 1, classes, logits, {frames}, {labels}, blank};
}

}  // namespace

TEST_CASE("ctc: the loss equals a brute-force sum over all alignments", "[ctc]") {
  std::mt19937 random(5);
  const std::int64_t classes = 3;
  // Repeated labels (a blank must separate them), a label using every
  // frame, the empty sequence (all blank), and other blank indices.
  const std::vector<std::vector<std::int32_t>> label_sets = {{}, {1}, {2, 1}, {1, 1}, {1, 2, 1}, {2, 2, 2}, {1, 2}};
  int checked = 0;
  for (std::int32_t blank : {0, 2}) {
    for (std::int64_t frames = 1; frames <= 6; ++frames) {
      for (std::vector<std::int32_t> labels : label_sets) {
        for (std::int32_t& label : labels) label = blank == 2 ? (label == 2 ? 0 : label) : label;
        if (rnnc::ctc_min_frames(labels) > frames) continue;
        std::vector<float> logits = random_logits(std::size_t(frames * classes), random);
        double expected = brute_force_probability(logits, frames, classes, labels, blank);
        double loss = rnnc::ctc_loss(one_sample(logits, frames, classes, labels, blank))[0];
        INFO("blank " << blank << " frames " << frames << " labels " << labels.size());
        CHECK(loss == Approx(-std::log(expected)).epsilon(1e-9));
        ++checked;
      }
    }
  }
  CHECK(checked > 60);
}

TEST_CASE("ctc: the gradient by the logits matches finite differences", "[ctc]") {
  std::mt19937 random(9);
  const std::int64_t frames = 6, classes = 4, batch = 2;
  // Two samples of different lengths in one time-major batch.
  const std::vector<std::int32_t> first = {1, 1, 3}, second = {2};
  std::vector<float> logits = random_logits(std::size_t(frames * batch * classes), random);
  rnnc::CtcBatch ctc{frames, batch, classes, logits, {frames, 4}, {first, second}, 0};
  std::vector<float> adjoint(logits.size(), NAN);
  const double scale = 0.5;
  std::vector<double> losses = rnnc::ctc_loss(ctc, adjoint, scale);
  auto total = [&](const std::vector<float>& values) {
    rnnc::CtcBatch moved = ctc;
    moved.logits = values;
    std::vector<double> l = rnnc::ctc_loss(moved);
    return scale * (l[0] + l[1]);
  };
  CHECK(total(logits) == Approx(scale * (losses[0] + losses[1])));
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const float h = 1e-2f;
    std::vector<float> plus = logits, minus = logits;
    plus[i] += h;
    minus[i] -= h;
    double numeric = (total(plus) - total(minus)) / (double(plus[i]) - double(minus[i]));
    INFO("logit " << i);
    CHECK(adjoint[i] == Approx(numeric).margin(2e-4));
  }
  // Frames beyond the second sample's 4 carry no gradient.
  for (std::int64_t t = 4; t < frames; ++t) {
    for (std::int64_t c = 0; c < classes; ++c) CHECK(adjoint[std::size_t((t * batch + 1) * classes + c)] == 0.0f);
  }
}

TEST_CASE("ctc: impossible lengths and bad labels are refused, never NaN", "[ctc]") {
  std::vector<float> logits(3 * 3, 0.0f);
  CHECK(rnnc::ctc_min_frames(std::vector<std::int32_t>{1, 1, 2}) == 4);
  // Three frames cannot carry 1, blank, 1, 2.
  CHECK_THROWS_WITH(rnnc::ctc_loss(one_sample(logits, 3, 3, {1, 1, 2}, 0)),
                    Catch::Contains("3 frames, too few for its 3 labels (it needs 4)"));
  CHECK_THROWS_AS(rnnc::ctc_loss(one_sample(logits, 3, 3, {0}, 0)), rnnc::RuntimeError);  // the blank as a label
  CHECK_THROWS_AS(rnnc::ctc_loss(one_sample(logits, 3, 3, {3}, 0)), rnnc::RuntimeError);  // no such class
  CHECK_THROWS_AS(rnnc::ctc_loss(one_sample(logits, 4, 3, {1}, 0)), rnnc::RuntimeError);  // too few logits
  // Just enough frames: exactly one alignment, 1 blank 1 2, of probability (1/3)^3... of 4 frames.
  std::vector<float> four(4 * 3, 0.0f);
  CHECK(rnnc::ctc_loss(one_sample(four, 4, 3, {1, 1, 2}, 0))[0] == Approx(4 * std::log(3.0)));
  // No frames and no labels: probability 1.
  CHECK(rnnc::ctc_loss({0, 1, 3, {}, {0}, {std::span<const std::int32_t>()}, 0})[0] == 0.0);
}
