// Broken invariants inside the compiler. A user's mistake is never reported
// this way: it goes through DiagnosticEngine with a source span.
#pragma once

#include <string>

namespace rnnc {

[[noreturn]] void internal_error(const char* file, int line, const std::string& message);

}  // namespace rnnc

#define RNNC_ASSERT(condition, message)                                  \
  do {                                                                   \
    if (!(condition)) ::rnnc::internal_error(__FILE__, __LINE__, message); \
  } while (false)
