#include "acoustic_model.h"

#include <algorithm>
#include <cmath>

#include "rnnc/ctc_loss.h"

namespace speech {

namespace {

std::vector<const Features*> features_of(std::span<const LabelledUtterance> batch) {
  std::vector<const Features*> features;
  for (const LabelledUtterance& utterance : batch) features.push_back(utterance.features);
  return features;
}

}  // namespace

AcousticModel::AcousticModel(const rnnc::CellSpec& cell, const AcousticModelOptions& options)
    : rnn_(cell, options.input,
           {.layers = options.layers, .bidirectional = true, .dropout = options.dropout, .seed = options.seed}),
      output_(rnn_.output_size(), options.classes) {
  rnnc::Rng rng(options.seed);
  rnn_.initialize(rnnc::WeightInit::pytorch_default, rng);
  output_.initialize(rnnc::WeightInit::pytorch_default, rng);
}

void AcousticModel::gather(std::span<const Features* const> batch) {
  const std::int64_t width = rnn_.input_size(), count = std::int64_t(batch.size());
  lengths_.clear();
  steps_ = 0;
  for (const Features* features : batch) {
    if (features->width != width) {
      throw rnnc::RuntimeError("features of width " + std::to_string(features->width) + ", the model reads " +
                               std::to_string(width));
    }
    lengths_.push_back(features->frames);
    steps_ = std::max(steps_, features->frames);
  }
  input_.assign(std::size_t(steps_ * count * width), 0.0f);
  for (std::int64_t b = 0; b < count; ++b) {
    for (std::int64_t t = 0; t < lengths_[std::size_t(b)]; ++t) {
      std::copy_n(batch[std::size_t(b)]->values.begin() + t * width, width, input_.begin() + (t * count + b) * width);
    }
  }
}

std::span<const float> AcousticModel::logits(std::span<const Features* const> batch, bool training) {
  gather(batch);
  std::span<const float> hidden = rnn_.forward({steps_, std::int64_t(batch.size()), input_, lengths_, {}, training});
  return output_.forward(hidden, training);
}

double AcousticModel::ctc(std::span<const LabelledUtterance> batch, std::span<const float> logits,
                          bool with_gradient) {
  rnnc::CtcBatch ctc{steps_, std::int64_t(batch.size()), classes(), logits, lengths_, {}, 0};
  for (const LabelledUtterance& utterance : batch) ctc.labels.push_back(utterance.labels);
  if (with_gradient) logit_adjoint_.resize(logits.size());
  const double scale = 1.0 / double(batch.size());
  const std::vector<double> losses =
      rnnc::ctc_loss(ctc, with_gradient ? std::span<float>(logit_adjoint_) : std::span<float>(), scale);
  double total = 0;
  for (double loss : losses) total += loss;
  return total * scale;
}

double AcousticModel::train_step(std::span<const LabelledUtterance> batch) {
  const std::vector<const Features*> features = features_of(batch);
  const double loss = ctc(batch, logits(features, true), true);
  rnn_.backward(output_.backward(logit_adjoint_), {});
  return loss;
}

double AcousticModel::loss(std::span<const LabelledUtterance> batch) {
  const std::vector<const Features*> features = features_of(batch);
  return ctc(batch, logits(features, false), false);
}

std::vector<std::vector<float>> AcousticModel::log_posteriors(std::span<const Features* const> batch) {
  std::span<const float> scores = logits(batch, false);
  const std::int64_t count = std::int64_t(batch.size()), width = classes();
  std::vector<std::vector<float>> posteriors(batch.size());
  for (std::int64_t b = 0; b < count; ++b) {
    std::vector<float>& rows = posteriors[std::size_t(b)];
    rows.resize(std::size_t(lengths_[std::size_t(b)] * width));
    for (std::int64_t t = 0; t < lengths_[std::size_t(b)]; ++t) {
      const float* row = scores.data() + (t * count + b) * width;
      const float top = *std::max_element(row, row + width);
      double sum = 0;
      for (std::int64_t c = 0; c < width; ++c) sum += std::exp(double(row[c] - top));
      const float normalizer = top + float(std::log(sum));
      for (std::int64_t c = 0; c < width; ++c) rows[std::size_t(t * width + c)] = row[c] - normalizer;
    }
  }
  return posteriors;
}

std::int64_t AcousticModel::parameter_count() {
  std::int64_t count = 0;
  for (const rnnc::TrainableTensor& tensor : parameters()) count += std::int64_t(tensor.value.size());
  return count;
}

std::vector<rnnc::TrainableTensor> AcousticModel::parameters() {
  std::vector<rnnc::TrainableTensor> tensors = rnn_.parameters("rnn.");
  for (rnnc::TrainableTensor& tensor : output_.parameters("output.")) tensors.push_back(std::move(tensor));
  return tensors;
}

void AcousticModel::parameters_changed() {
  rnn_.parameters_changed();
  output_.parameters_changed();
}

}  // namespace speech
