// Optimizers with PyTorch's exact update rules (torch.optim.SGD and
// torch.optim.Adam, default flags), over tensors the caller owns, and
// gradient-norm clipping (torch.nn.utils.clip_grad_norm_).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace rnnc {

// One parameter: its values and its gradient, both owned by the caller
// (for a cell: cell.parameter(i) and cell.gradient(i)), of equal size.
struct TrainableTensor {
  std::string name;
  std::span<float> value;
  std::span<float> gradient;
};

struct SgdOptions {
  float learning_rate = 0.01f;
  float momentum = 0;
  float weight_decay = 0;
  bool nesterov = false;  // needs momentum > 0
};

struct AdamOptions {
  float learning_rate = 1e-3f;
  float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;
  float weight_decay = 0;  // L2 added to the gradient (Adam, not AdamW)
};

// A named view of optimizer state, for checkpoints.
using StateTensor = std::pair<std::string, std::span<float>>;

class Optimizer {
 public:
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Updates every value from its gradient.
  void step();
  // Sets all gradients to 0.
  void zero_gradients();
  float learning_rate() const;
  // Throws RuntimeError for a negative or non-finite rate.
  void set_learning_rate(float learning_rate);
  const std::vector<TrainableTensor>& tensors() const;
  std::int64_t steps_taken() const;

  // All the optimizer's state as named views into it: "step" (the number
  // of steps taken, a float as in PyTorch), then per tensor
  // "NAME.momentum_buffer" (SGD with momentum) or "NAME.exp_avg" and
  // "NAME.exp_avg_sq" (Adam). Save their contents, and write them back
  // through the same views to resume.
  std::vector<StateTensor> state_tensors();

 protected:
  // Validates the tensors (equal value and gradient sizes, distinct names).
  Optimizer(std::vector<TrainableTensor> tensors, float learning_rate);

 private:
  // Applies step number `step` (1 for the first) to every tensor.
  virtual void update(std::int64_t step) = 0;
  virtual std::vector<StateTensor> buffers() = 0;

  std::vector<TrainableTensor> tensors_;
  float learning_rate_;
  float steps_taken_ = 0;
};

// Both throw RuntimeError with a one-line reason for invalid options or tensors.
std::unique_ptr<Optimizer> make_sgd(std::vector<TrainableTensor> tensors, const SgdOptions& options);
std::unique_ptr<Optimizer> make_adam(std::vector<TrainableTensor> tensors, const AdamOptions& options);

// Scales all gradients so their global L2 norm is at most max_norm, as
// clip_grad_norm_ does (factor max_norm / (norm + 1e-6), applied only when
// below 1), and returns the norm before clipping. A non-finite norm leaves
// the gradients alone and is returned for the caller to act on.
float clip_gradient_norm(std::span<const TrainableTensor> tensors, float max_norm);

}  // namespace rnnc
