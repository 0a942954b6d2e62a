#include "rnnc/cpu_features.h"

#include <cpuid.h>

#include <algorithm>

namespace rnnc {

namespace {

constexpr std::uint64_t kAvxState = 0x6;      // XMM and YMM
constexpr std::uint64_t kAvx512State = 0xe6;  // also opmask, ZMM0-15 upper halves, ZMM16-31
constexpr std::uint64_t kAmxState = 0x60000;  // XTILECFG and XTILEDATA

using R = CpuidRegister;

// Bits as Intel's SDM (vol. 2, CPUID) and AMD's APM list them; the same as
// GCC's <cpuid.h>. Sorted by name.
constexpr CpuFeature kFeatures[] = {
    {"adx", 7, 0, R::Ebx, 19, 0},
    {"aes", 1, 0, R::Ecx, 25, 0},
    {"amx-bf16", 7, 0, R::Edx, 22, kAmxState},
    {"amx-fp16", 7, 1, R::Eax, 21, kAmxState},
    {"amx-int8", 7, 0, R::Edx, 25, kAmxState},
    {"amx-tile", 7, 0, R::Edx, 24, kAmxState},
    {"avx", 1, 0, R::Ecx, 28, kAvxState},
    {"avx2", 7, 0, R::Ebx, 5, kAvxState},
    {"avx512bf16", 7, 1, R::Eax, 5, kAvx512State},
    {"avx512bitalg", 7, 0, R::Ecx, 12, kAvx512State},
    {"avx512bw", 7, 0, R::Ebx, 30, kAvx512State},
    {"avx512cd", 7, 0, R::Ebx, 28, kAvx512State},
    {"avx512dq", 7, 0, R::Ebx, 17, kAvx512State},
    {"avx512f", 7, 0, R::Ebx, 16, kAvx512State},
    {"avx512fp16", 7, 0, R::Edx, 23, kAvx512State},
    {"avx512ifma", 7, 0, R::Ebx, 21, kAvx512State},
    {"avx512vbmi", 7, 0, R::Ecx, 1, kAvx512State},
    {"avx512vbmi2", 7, 0, R::Ecx, 6, kAvx512State},
    {"avx512vl", 7, 0, R::Ebx, 31, kAvx512State},
    {"avx512vnni", 7, 0, R::Ecx, 11, kAvx512State},
    {"avx512vp2intersect", 7, 0, R::Edx, 8, kAvx512State},
    {"avx512vpopcntdq", 7, 0, R::Ecx, 14, kAvx512State},
    {"avxifma", 7, 1, R::Eax, 23, kAvxState},
    {"avxneconvert", 7, 1, R::Edx, 5, kAvxState},
    {"avxvnni", 7, 1, R::Eax, 4, kAvxState},
    {"avxvnniint16", 7, 1, R::Edx, 10, kAvxState},
    {"avxvnniint8", 7, 1, R::Edx, 4, kAvxState},
    {"bmi", 7, 0, R::Ebx, 3, 0},
    {"bmi2", 7, 0, R::Ebx, 8, 0},
    {"cmov", 1, 0, R::Edx, 15, 0},
    {"cx16", 1, 0, R::Ecx, 13, 0},
    {"cx8", 1, 0, R::Edx, 8, 0},
    {"f16c", 1, 0, R::Ecx, 29, kAvxState},
    {"fma", 1, 0, R::Ecx, 12, kAvxState},
    {"fma4", 0x80000001, 0, R::Ecx, 16, kAvxState},
    {"gfni", 7, 0, R::Ecx, 8, 0},
    {"lzcnt", 0x80000001, 0, R::Ecx, 5, 0},
    {"movbe", 1, 0, R::Ecx, 22, 0},
    {"pclmul", 1, 0, R::Ecx, 1, 0},
    {"popcnt", 1, 0, R::Ecx, 23, 0},
    {"prfchw", 0x80000001, 0, R::Ecx, 8, 0},
    {"rdrnd", 1, 0, R::Ecx, 30, 0},
    {"rdseed", 7, 0, R::Ebx, 18, 0},
    {"sahf", 0x80000001, 0, R::Ecx, 0, 0},
    {"sha", 7, 0, R::Ebx, 29, 0},
    {"sse", 1, 0, R::Edx, 25, 0},
    {"sse2", 1, 0, R::Edx, 26, 0},
    {"sse3", 1, 0, R::Ecx, 0, 0},
    {"sse4.1", 1, 0, R::Ecx, 19, 0},
    {"sse4.2", 1, 0, R::Ecx, 20, 0},
    {"sse4a", 0x80000001, 0, R::Ecx, 6, 0},
    {"ssse3", 1, 0, R::Ecx, 9, 0},
    {"tbm", 0x80000001, 0, R::Ecx, 21, 0},
    {"vaes", 7, 0, R::Ecx, 9, kAvxState},
    {"vpclmulqdq", 7, 0, R::Ecx, 10, kAvxState},
    {"xop", 0x80000001, 0, R::Ecx, 11, kAvxState},
    {"xsave", 1, 0, R::Ecx, 26, 0},
};

constexpr bool sorted_by_name() {
  for (std::size_t i = 1; i < std::size(kFeatures); ++i) {
    if (std::string_view(kFeatures[i - 1].name) >= std::string_view(kFeatures[i].name)) return false;
  }
  return true;
}
static_assert(sorted_by_name());

}  // namespace

std::span<const CpuFeature> checkable_cpu_features() { return kFeatures; }

std::vector<CpuFeature> checkable_subset(const std::vector<std::string>& names) {
  std::vector<CpuFeature> subset;
  for (const CpuFeature& feature : kFeatures) {
    if (std::find(names.begin(), names.end(), feature.name) != names.end()) subset.push_back(feature);
  }
  return subset;
}

namespace {

// XCR0, the register state the OS saves; 0 when it has not enabled XGETBV.
std::uint64_t saved_register_state() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE)) return 0;
  unsigned low = 0, high = 0;
  __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  return std::uint64_t(high) << 32 | low;
}

}  // namespace

bool host_has(const CpuFeature& feature) {
  unsigned registers[4] = {};
  if (!__get_cpuid_count(feature.leaf, feature.subleaf, &registers[0], &registers[1], &registers[2], &registers[3])) {
    return false;  // the CPU has no such leaf
  }
  if (!(registers[int(feature.reg)] >> feature.bit & 1u)) return false;
  return (saved_register_state() & feature.xcr0_mask) == feature.xcr0_mask;
}

std::vector<std::string> missing_on_host(const std::vector<CpuFeature>& features) {
  std::vector<std::string> missing;
  for (const CpuFeature& feature : features) {
    if (!host_has(feature)) missing.push_back(feature.name);
  }
  return missing;
}

}  // namespace rnnc
