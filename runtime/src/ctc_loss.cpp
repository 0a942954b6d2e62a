#include "rnnc/ctc_loss.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "log_space.h"
#include "rnnc/cell.h"  // RuntimeError

namespace rnnc {

namespace {

void require(bool condition, const std::string& message) {
  if (!condition) throw RuntimeError(message);
}

// One sample: the labels with blanks around and between them,
// l' = (blank, l1, blank, l2, ..., lL, blank), S = 2L + 1 positions.
class SampleLattice {
 public:
  SampleLattice(std::span<const std::int32_t> labels, std::int32_t blank) : blank_(blank) {
    extended_.push_back(blank);
    for (std::int32_t label : labels) {
      extended_.push_back(label);
      extended_.push_back(blank);
    }
  }

  // log_probs: [frames][classes] log-softmax of the sample's logits.
  // Returns log p(labels); fills the log occupancy of every (t, s).
  double forward_backward(const std::vector<double>& log_probs, std::int64_t frames, std::int64_t classes) {
    const std::int64_t S = std::int64_t(extended_.size());
    auto emit = [&](std::int64_t t, std::int64_t s) { return log_probs[std::size_t(t * classes + extended_[s])]; };
    alpha_.assign(std::size_t(frames * S), kLogZero);
    beta_.assign(std::size_t(frames * S), kLogZero);
    auto at = [S](std::vector<double>& table, std::int64_t t, std::int64_t s) -> double& {
      return table[std::size_t(t * S + s)];
    };
    // alpha(t, s): all prefixes of frames 0..t ending at position s, with
    // the emission at t. A step stays, moves one on, or skips a blank
    // between two different labels.
    at(alpha_, 0, 0) = emit(0, 0);
    if (S > 1) at(alpha_, 0, 1) = emit(0, 1);
    for (std::int64_t t = 1; t < frames; ++t) {
      for (std::int64_t s = 0; s < S; ++s) {
        double sum = at(alpha_, t - 1, s);
        if (s >= 1) sum = log_add(sum, at(alpha_, t - 1, s - 1));
        if (can_skip_to(s)) sum = log_add(sum, at(alpha_, t - 1, s - 2));
        if (sum != kLogZero) at(alpha_, t, s) = sum + emit(t, s);
      }
    }
    // beta(t, s): all suffixes of frames t+1.. from position s at t,
    // without the emission at t, so alpha + beta covers every path once.
    at(beta_, frames - 1, S - 1) = 0.0;
    if (S > 1) at(beta_, frames - 1, S - 2) = 0.0;
    for (std::int64_t t = frames - 2; t >= 0; --t) {
      for (std::int64_t s = 0; s < S; ++s) {
        double sum = at(beta_, t + 1, s) + emit(t + 1, s);
        if (s + 1 < S) sum = log_add(sum, at(beta_, t + 1, s + 1) + emit(t + 1, s + 1));
        if (s + 2 < S && can_skip_to(s + 2)) sum = log_add(sum, at(beta_, t + 1, s + 2) + emit(t + 1, s + 2));
        at(beta_, t, s) = sum;
      }
    }
    double end = at(alpha_, frames - 1, S - 1);
    if (S > 1) end = log_add(end, at(alpha_, frames - 1, S - 2));
    return end;
  }

  // d(-log p)/d(logits[t][c]) = softmax - occupancy(t, c) / p.
  void gradient(const std::vector<double>& log_probs, std::int64_t frames, std::int64_t classes, double log_p,
                double scale, float* adjoint, std::int64_t row_stride) const {
    const std::int64_t S = std::int64_t(extended_.size());
    std::vector<double> occupancy(static_cast<std::size_t>(classes));
    for (std::int64_t t = 0; t < frames; ++t) {
      std::fill(occupancy.begin(), occupancy.end(), 0.0);
      for (std::int64_t s = 0; s < S; ++s) {
        double log_gamma = alpha_[std::size_t(t * S + s)] + beta_[std::size_t(t * S + s)];
        if (log_gamma != kLogZero) occupancy[std::size_t(extended_[s])] += std::exp(log_gamma - log_p);
      }
      float* row = adjoint + t * row_stride;
      for (std::int64_t c = 0; c < classes; ++c) {
        double softmax = std::exp(log_probs[std::size_t(t * classes + c)]);
        row[c] = float(scale * (softmax - occupancy[std::size_t(c)]));
      }
    }
  }

 private:
  // From s - 2 to s: s is a label, different from the label before it.
  bool can_skip_to(std::int64_t s) const {
    return s >= 2 && extended_[std::size_t(s)] != extended_[std::size_t(s - 2)] &&
           extended_[std::size_t(s)] != blank_;
  }

  std::int32_t blank_;
  std::vector<std::int32_t> extended_;
  std::vector<double> alpha_, beta_;
};

}  // namespace

std::int64_t ctc_min_frames(std::span<const std::int32_t> labels) {
  std::int64_t frames = std::int64_t(labels.size());
  for (std::size_t i = 1; i < labels.size(); ++i) frames += labels[i] == labels[i - 1];
  return frames;
}

std::vector<double> ctc_loss(const CtcBatch& batch, std::span<float> logits_adjoint, double adjoint_scale) {
  const std::int64_t T = batch.max_frames, B = batch.batch, C = batch.classes;
  require(T >= 0 && B >= 0 && C >= 1, "CTC: frames and batch must not be negative, classes must be positive");
  require(std::int64_t(batch.logits.size()) == T * B * C,
          fmt::format("CTC: logits have {} floats, expected {} frames x {} samples x {} classes",
                      batch.logits.size(), T, B, C));
  require(logits_adjoint.empty() || logits_adjoint.size() == batch.logits.size(),
          "CTC: the logits' adjoint must be as large as the logits");
  require(std::int64_t(batch.frames.size()) == B && std::int64_t(batch.labels.size()) == B,
          fmt::format("CTC: expected frames and labels for {} samples", B));
  require(batch.blank >= 0 && batch.blank < C, "CTC: the blank must be one of the classes");
  std::vector<double> losses(std::size_t(B), 0.0);
  std::vector<double> log_probs;
  for (std::int64_t b = 0; b < B; ++b) {
    const std::int64_t frames = batch.frames[std::size_t(b)];
    std::span<const std::int32_t> labels = batch.labels[std::size_t(b)];
    require(frames >= 0 && frames <= T, fmt::format("CTC: sample {} has {} frames, outside 0..{}", b, frames, T));
    for (std::int32_t label : labels) {
      require(label >= 0 && label < C && label != batch.blank,
              fmt::format("CTC: sample {} has label {}, not a class other than the blank {}", b, label, batch.blank));
    }
    const std::int64_t needed = ctc_min_frames(labels);
    require(frames >= needed, fmt::format("CTC: sample {} has {} frames, too few for its {} labels (it needs {})", b,
                                          frames, labels.size(), needed));
    if (!logits_adjoint.empty()) {
      for (std::int64_t t = frames; t < T; ++t) std::fill_n(&logits_adjoint[std::size_t((t * B + b) * C)], C, 0.0f);
    }
    if (frames == 0) continue;  // no frames, no labels: probability 1
    log_probs.resize(std::size_t(frames * C));
    for (std::int64_t t = 0; t < frames; ++t) {
      const float* row = &batch.logits[std::size_t((t * B + b) * C)];
      double top = *std::max_element(row, row + C), sum = 0;
      for (std::int64_t c = 0; c < C; ++c) sum += std::exp(double(row[c]) - top);
      double log_sum = top + std::log(sum);
      for (std::int64_t c = 0; c < C; ++c) log_probs[std::size_t(t * C + c)] = double(row[c]) - log_sum;
    }
    SampleLattice lattice(labels, batch.blank);
    double log_p = lattice.forward_backward(log_probs, frames, C);
    // Every log-probability is finite, so a possible alignment has p > 0;
    // one far below double's range would show up here.
    require(std::isfinite(log_p), fmt::format("CTC: sample {} has probability 0 in double precision", b));
    losses[std::size_t(b)] = -log_p;
    if (!logits_adjoint.empty()) {
      lattice.gradient(log_probs, frames, C, log_p, adjoint_scale, &logits_adjoint[std::size_t(b * C)], B * C);
    }
  }
  return losses;
}

}  // namespace rnnc
