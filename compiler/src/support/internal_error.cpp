#include "rnnc/internal_error.h"

#include <cstdio>
#include <cstdlib>

namespace rnnc {

void internal_error(const char* file, int line, const std::string& message) {
  std::fprintf(stderr, "rnnc: internal error at %s:%d: %s\nThis is a bug in rnnc; please report it.\n", file, line,
               message.c_str());
  std::abort();
}

}  // namespace rnnc
