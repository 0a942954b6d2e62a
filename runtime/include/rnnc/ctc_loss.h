// Connectionist temporal classification (Graves et al., ICML 2006): the
// loss of a label sequence given per-frame scores, summed over every
// alignment of the labels to the frames (each label repeated over one or
// more frames, blanks anywhere, a blank between two equal labels), by the
// forward-backward recursion in log space. The gradient by the logits is
// softmax(logits) minus the posterior occupancy of each class, so the
// softmax never needs a layer of its own.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace rnnc {

struct CtcBatch {
  std::int64_t max_frames = 0, batch = 0, classes = 0;
  // [max_frames][batch][classes], time-major like a RecurrentLayer's output;
  // unnormalized scores (the loss applies log-softmax itself).
  std::span<const float> logits;
  std::vector<std::int64_t> frames;                   // per sample, <= max_frames
  std::vector<std::span<const std::int32_t>> labels;  // per sample, in [0, classes), no blank
  std::int32_t blank = 0;
};

// The fewest frames that can carry `labels`: one per label, and a blank
// between each pair of equal neighbours.
std::int64_t ctc_min_frames(std::span<const std::int32_t> labels);

// The loss -log p(labels | logits) of every sample, in double. With a
// non-empty `logits_adjoint` ([max_frames][batch][classes]) also writes
// adjoint_scale · d(loss_b)/d(logits) of each sample b there (0 on frames
// beyond its length). Throws RuntimeError for inconsistent sizes, a label
// out of range or equal to the blank, or a sample with fewer frames than
// ctc_min_frames (whose probability is 0): never returns NaN or infinity.
std::vector<double> ctc_loss(const CtcBatch& batch, std::span<float> logits_adjoint = {}, double adjoint_scale = 1.0);

}  // namespace rnnc
