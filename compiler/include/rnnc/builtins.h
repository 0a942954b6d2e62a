// The functions a .cell expression may call, and the IR operation each one
// becomes. Their shape rules follow from the operation's class: Unary keeps
// the shape, Binary broadcasts, Reduce gives a scalar, Softmax keeps a vector.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rnnc/ops.h"

namespace rnnc {

struct Builtin {
  std::string_view name;
  Op op;
};

// The built-in called `name`, if there is one.
std::optional<Builtin> find_builtin(std::string_view name);

// All built-in names, for "did you mean" suggestions.
std::vector<std::string> builtin_names();

}  // namespace rnnc
