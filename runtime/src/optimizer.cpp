#include "rnnc/optimizer.h"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "rnnc/cell.h"

namespace rnnc {

namespace {

void require(bool condition, const std::string& reason) {
  if (!condition) throw RuntimeError(reason);
}

void require_non_negative(float value, const char* what) {
  require(value >= 0 && std::isfinite(value), fmt::format("{} must be finite and >= 0, got {}", what, value));
}

void require_below_one(float beta, const char* what) {
  require(beta >= 0 && beta < 1, fmt::format("{} must be in [0, 1), got {}", what, beta));
}

class Sgd final : public Optimizer {
 public:
  Sgd(std::vector<TrainableTensor> tensors, const SgdOptions& options)
      : Optimizer(std::move(tensors), options.learning_rate), options_(options) {
    require_non_negative(options.momentum, "SGD momentum");
    require_non_negative(options.weight_decay, "SGD weight decay");
    require(!options.nesterov || options.momentum > 0, "SGD with Nesterov momentum needs a momentum > 0");
    if (options.momentum > 0)
      for (const TrainableTensor& tensor : this->tensors()) momentum_buffers_.emplace_back(tensor.value.size());
  }

 private:
  // torch.optim.SGD with dampening 0:
  //   d = g + wd·p;  b = d on the first step, else μ·b + d
  //   p -= lr · (nesterov ? d + μ·b : b)      (without momentum: p -= lr·d)
  void update(std::int64_t step) override {
    const float lr = learning_rate(), mu = options_.momentum, decay = options_.weight_decay;
    for (std::size_t t = 0; t < tensors().size(); ++t) {
      const TrainableTensor& tensor = tensors()[t];
      for (std::size_t i = 0; i < tensor.value.size(); ++i) {
        float& p = tensor.value[i];
        float d = tensor.gradient[i];
        if (decay != 0) d += decay * p;
        if (mu != 0) {
          float& b = momentum_buffers_[t][i];
          b = step == 1 ? d : mu * b + d;
          d = options_.nesterov ? d + mu * b : b;
        }
        p -= lr * d;
      }
    }
  }

  std::vector<StateTensor> buffers() override {
    std::vector<StateTensor> result;
    for (std::size_t t = 0; t < momentum_buffers_.size(); ++t)
      result.emplace_back(tensors()[t].name + ".momentum_buffer", momentum_buffers_[t]);
    return result;
  }

  SgdOptions options_;
  std::vector<std::vector<float>> momentum_buffers_;  // empty without momentum
};

class Adam final : public Optimizer {
 public:
  Adam(std::vector<TrainableTensor> tensors, const AdamOptions& options)
      : Optimizer(std::move(tensors), options.learning_rate), options_(options) {
    require_below_one(options.beta1, "Adam beta1");
    require_below_one(options.beta2, "Adam beta2");
    require_non_negative(options.epsilon, "Adam epsilon");
    require_non_negative(options.weight_decay, "Adam weight decay");
    for (const TrainableTensor& tensor : this->tensors()) {
      first_moments_.emplace_back(tensor.value.size());
      second_moments_.emplace_back(tensor.value.size());
    }
  }

 private:
  // torch.optim.Adam (amsgrad off), its scalars computed in double as Python does:
  //   g += wd·p;  m += (1-β1)·(g - m);  v = β2·v + (1-β2)·g²
  //   p -= (lr / (1-β1^t)) · m / (sqrt(v) / sqrt(1-β2^t) + ε)
  // (m's update is torch.lerp, as PyTorch 2 writes it.)
  void update(std::int64_t step) override {
    const float beta2 = options_.beta2, decay = options_.weight_decay;
    const float one_minus_beta1 = float(1 - double(options_.beta1));
    const float one_minus_beta2 = float(1 - double(beta2));
    const float step_size = float(learning_rate() / (1 - std::pow(double(options_.beta1), double(step))));
    const float correction2_sqrt = float(std::sqrt(1 - std::pow(double(beta2), double(step))));
    for (std::size_t t = 0; t < tensors().size(); ++t) {
      const TrainableTensor& tensor = tensors()[t];
      for (std::size_t i = 0; i < tensor.value.size(); ++i) {
        float& p = tensor.value[i];
        float g = tensor.gradient[i];
        if (decay != 0) g += decay * p;
        float& m = first_moments_[t][i];
        float& v = second_moments_[t][i];
        m += one_minus_beta1 * (g - m);
        v = beta2 * v + one_minus_beta2 * g * g;
        p -= step_size * (m / (std::sqrt(v) / correction2_sqrt + options_.epsilon));
      }
    }
  }

  std::vector<StateTensor> buffers() override {
    std::vector<StateTensor> result;
    for (std::size_t t = 0; t < tensors().size(); ++t) {
      result.emplace_back(tensors()[t].name + ".exp_avg", first_moments_[t]);
      result.emplace_back(tensors()[t].name + ".exp_avg_sq", second_moments_[t]);
    }
    return result;
  }

  AdamOptions options_;
  std::vector<std::vector<float>> first_moments_, second_moments_;
};

}  // namespace

Optimizer::Optimizer(std::vector<TrainableTensor> tensors, float learning_rate) : tensors_(std::move(tensors)) {
  set_learning_rate(learning_rate);
  std::set<std::string> names;
  for (const TrainableTensor& tensor : tensors_) {
    require(tensor.value.size() == tensor.gradient.size(),
            fmt::format("tensor '{}' has {} values but {} gradients", tensor.name, tensor.value.size(),
                        tensor.gradient.size()));
    require(names.insert(tensor.name).second, fmt::format("two tensors are named '{}'", tensor.name));
  }
}

Optimizer::~Optimizer() = default;

void Optimizer::step() {
  // A float counter, as PyTorch keeps it, so it can be saved with the
  // other state; it counts exactly up to 2^24 steps.
  steps_taken_ += 1;
  update(std::int64_t(steps_taken_));
}

void Optimizer::zero_gradients() {
  for (const TrainableTensor& tensor : tensors_) std::fill(tensor.gradient.begin(), tensor.gradient.end(), 0.0f);
}

float Optimizer::learning_rate() const { return learning_rate_; }

void Optimizer::set_learning_rate(float learning_rate) {
  require_non_negative(learning_rate, "learning rate");
  learning_rate_ = learning_rate;
}

const std::vector<TrainableTensor>& Optimizer::tensors() const { return tensors_; }

std::int64_t Optimizer::steps_taken() const { return std::int64_t(steps_taken_); }

std::vector<StateTensor> Optimizer::state_tensors() {
  std::vector<StateTensor> result{{"step", std::span<float>(&steps_taken_, 1)}};
  for (StateTensor& buffer : buffers()) result.push_back(std::move(buffer));
  return result;
}

std::unique_ptr<Optimizer> make_sgd(std::vector<TrainableTensor> tensors, const SgdOptions& options) {
  return std::make_unique<Sgd>(std::move(tensors), options);
}

std::unique_ptr<Optimizer> make_adam(std::vector<TrainableTensor> tensors, const AdamOptions& options) {
  return std::make_unique<Adam>(std::move(tensors), options);
}

float clip_gradient_norm(std::span<const TrainableTensor> tensors, float max_norm) {
  require_non_negative(max_norm, "max_norm");
  double sum_of_squares = 0;  // in double: no overflow or loss over millions of terms
  for (const TrainableTensor& tensor : tensors)
    for (float g : tensor.gradient) sum_of_squares += double(g) * g;
  const float norm = float(std::sqrt(sum_of_squares));
  if (!std::isfinite(norm)) return norm;
  const float factor = float(max_norm / (double(norm) + 1e-6));
  if (factor < 1)
    for (const TrainableTensor& tensor : tensors)
      for (float& g : tensor.gradient) g *= factor;
  return norm;
}

}  // namespace rnnc
