// The result of a step that can fail at an edge of the compiler (reading a
// file, compiling): what was made, or why it could not be.
// No LLVM header is included here.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "rnnc/internal_error.h"

namespace rnnc {

// Why kernels could not be made: LLVM rejected the target (a usage error),
// or the bound cell exceeds the bounds of rnnc/cell_bounds.h (an error in
// the cell, like its diagnostics).
struct CompileError {
  enum class Kind { Target, Cell } kind = Kind::Target;
  std::string message;
};

// Why a file could not be read: a one-line reason naming it.
struct ReadError {
  std::string message;
};

// A T, or the Error instead of it (std::expected is C++23).
template <class T, class Error = CompileError>
class Expected {
 public:
  Expected(T value) : result_(std::move(value)) {}      // NOLINT: implicit, as std::expected's
  Expected(Error error) : result_(std::move(error)) {}  // NOLINT

  explicit operator bool() const { return std::holds_alternative<T>(result_); }
  T& operator*() { return std::get<T>(checked()); }
  T* operator->() { return &std::get<T>(checked()); }
  const Error& error() const {
    RNNC_ASSERT(!*this, "the error of a result that has a value");
    return std::get<Error>(result_);
  }

 private:
  std::variant<T, Error>& checked() {
    RNNC_ASSERT(bool(*this), "the value of a result that failed: " + error().message);
    return result_;
  }
  std::variant<T, Error> result_;
};

}  // namespace rnnc
