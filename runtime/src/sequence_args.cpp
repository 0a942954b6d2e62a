#include "sequence_args.h"

#include <fmt/format.h>

#include "rnnc/cell.h"

namespace rnnc {

namespace {

void require(bool condition, const std::string& message) {
  if (!condition) throw RuntimeError(message);
}

}  // namespace

void check_sequence_args(const SequenceArgs& args, std::int64_t input_size, const std::vector<std::int64_t>& state_sizes) {
  require(args.steps >= 0 && args.batch >= 0, "steps and batch must not be negative");
  require(std::int64_t(args.input.size()) == args.steps * args.batch * input_size,
          fmt::format("input has {} floats, expected {} ({} steps x {} samples x {})", args.input.size(),
                      args.steps * args.batch * input_size, args.steps, args.batch, input_size));
  require(args.lengths.empty() || std::int64_t(args.lengths.size()) == args.batch,
          fmt::format("{} lengths for a batch of {}", args.lengths.size(), args.batch));
  for (std::int64_t length : args.lengths) {
    require(length >= 0 && length <= args.steps, fmt::format("sample length {} outside [0, {}]", length, args.steps));
  }
  require(args.initial_states.empty() || args.initial_states.size() == state_sizes.size(),
          fmt::format("{} initial states, expected {}", args.initial_states.size(), state_sizes.size()));
  for (std::size_t s = 0; s < args.initial_states.size(); ++s) {
    require(std::int64_t(args.initial_states[s].size()) == args.batch * state_sizes[s],
            fmt::format("initial state {} has {} floats, expected {}", s, args.initial_states[s].size(),
                        args.batch * state_sizes[s]));
  }
}

void check_optional_adjoint(std::span<const float> adjoint, std::int64_t floats, const char* what) {
  require(adjoint.empty() || std::int64_t(adjoint.size()) == floats,
          fmt::format("{} has {} floats, expected {}", what, adjoint.size(), floats));
}

void check_state_adjoints(std::span<const std::vector<float>> adjoints, std::int64_t batch,
                          const std::vector<std::int64_t>& state_sizes) {
  require(adjoints.empty() || adjoints.size() == state_sizes.size(),
          fmt::format("{} final-state adjoints, expected {}", adjoints.size(), state_sizes.size()));
  for (std::size_t s = 0; s < adjoints.size(); ++s) {
    check_optional_adjoint(adjoints[s], batch * state_sizes[s], "final-state adjoint");
  }
}

std::vector<std::int64_t> sample_lengths(const SequenceArgs& args) {
  if (!args.lengths.empty()) return {args.lengths.begin(), args.lengths.end()};
  return std::vector<std::int64_t>(std::size_t(args.batch), args.steps);
}

}  // namespace rnnc
