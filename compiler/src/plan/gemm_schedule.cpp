#include "rnnc/gemm_schedule.h"

#include "rnnc/internal_error.h"

namespace rnnc {

GemmSchedule gemm_schedule_for_width(int vector_width) {
  RNNC_ASSERT(vector_width == 4 || vector_width == 8 || vector_width == 16, "GEMM vector width must be 4, 8 or 16");
  switch (vector_width) {
    case 16: return {16, 12, 2, 8, 512, 72, 1, 256, 32};
    case 8: return {8, 6, 2, 4, 512, 144, 1, 512, 32};
    default: return {4, 6, 2, 4, 512, 72, 1, 512, 32};
  }
}

std::int64_t packed_floats(std::int64_t n, std::int64_t k, const GemmSchedule& schedule) {
  std::int64_t nr = schedule.panel_width();
  return (n + nr - 1) / nr * nr * k;
}

}  // namespace rnnc
