// The acoustic model: a bidirectional recurrent stack (any dsl/ cell; the
// default is dsl/lstm.cell) over stacked log-mel frames, then a linear map
// to per-frame scores over the CTC classes (blank and phonemes), trained
// with the CTC loss.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "acoustic_features.h"
#include "rnnc/linear.h"
#include "rnnc/recurrent_stack.h"

namespace speech {

struct AcousticModelOptions {
  std::int64_t input = 0;  // feature width
  std::int64_t layers = 2;
  std::int64_t classes = 0;
  float dropout = 0;  // between the layers, in training
  std::uint64_t seed = 1;
};

struct LabelledUtterance {
  const Features* features;
  std::span<const std::int32_t> labels;  // CTC classes, no blank
};

class AcousticModel {
 public:
  // `cell` binds every dimension but the input's (e.g. H).
  AcousticModel(const rnnc::CellSpec& cell, const AcousticModelOptions& options);

  // Forward and backward over a batch; adds the gradients of the mean CTC
  // loss per utterance and returns that mean. Throws RuntimeError for an
  // utterance with fewer frames than its labels need.
  double train_step(std::span<const LabelledUtterance> batch);
  // The same mean loss, without gradients or dropout.
  double loss(std::span<const LabelledUtterance> batch);
  // Per utterance, [frames][classes] log posteriors.
  std::vector<std::vector<float>> log_posteriors(std::span<const Features* const> batch);

  std::int64_t classes() const { return output_.output_size(); }
  std::int64_t parameter_count();
  // "rnn.layer0.fwd.W_ih", ..., "output.weight", "output.bias".
  std::vector<rnnc::TrainableTensor> parameters();
  void parameters_changed();

 private:
  // The padded time-major batch and its lengths into input_ and lengths_.
  void gather(std::span<const Features* const> batch);
  std::span<const float> logits(std::span<const Features* const> batch, bool training);
  double ctc(std::span<const LabelledUtterance> batch, std::span<const float> logits, bool with_gradient);

  rnnc::RecurrentStack rnn_;
  rnnc::Linear output_;
  std::vector<float> input_, logit_adjoint_;
  std::vector<std::int64_t> lengths_;
  std::int64_t steps_ = 0;
};

}  // namespace speech
