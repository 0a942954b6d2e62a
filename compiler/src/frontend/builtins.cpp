#include "rnnc/builtins.h"

#include <array>

namespace rnnc {

namespace {

constexpr std::array kBuiltins = {
    Builtin{"sigmoid", Op::Sigmoid}, Builtin{"tanh", Op::Tanh}, Builtin{"relu", Op::Relu},
    Builtin{"exp", Op::Exp},         Builtin{"log", Op::Log},   Builtin{"sqrt", Op::Sqrt},
    Builtin{"abs", Op::Abs},         Builtin{"softplus", Op::Softplus},
    Builtin{"max", Op::Max},         Builtin{"min", Op::Min},   Builtin{"sum", Op::Sum},
    Builtin{"mean", Op::Mean},       Builtin{"softmax", Op::Softmax},
};

}  // namespace

std::optional<Builtin> find_builtin(std::string_view name) {
  for (const Builtin& builtin : kBuiltins) {
    if (builtin.name == name) return builtin;
  }
  return std::nullopt;
}

std::vector<std::string> builtin_names() {
  std::vector<std::string> names;
  for (const Builtin& builtin : kBuiltins) names.emplace_back(builtin.name);
  return names;
}

}  // namespace rnnc
