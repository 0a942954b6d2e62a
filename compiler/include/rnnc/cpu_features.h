// The x86 instruction-set features rnnc can look up with CPUID, by LLVM's
// names: what a JIT cell and the C header of an object made ahead of time
// check before running code that needs them (running it on a CPU without
// them dies of SIGILL). No LLVM header is included here.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rnnc {

enum class CpuidRegister : std::uint8_t { Eax, Ebx, Ecx, Edx };

struct CpuFeature {
  const char* name;  // LLVM's feature name: "avx2", "avx512f", "amx-tile"
  std::uint32_t leaf, subleaf;
  CpuidRegister reg;
  int bit;
  // The register state the OS must have enabled in XCR0 (XGETBV) for the
  // feature's instructions to run: AVX, AVX-512 or AMX state; 0 for none.
  std::uint64_t xcr0_mask;
};

// Every feature of the table, sorted by name.
std::span<const CpuFeature> checkable_cpu_features();

// The entries of the table named in `names` (others are ignored: tuning
// flags such as "slow-unaligned-mem-16" are not instruction sets).
std::vector<CpuFeature> checkable_subset(const std::vector<std::string>& names);

// Whether this CPU has the feature and the OS saves the registers it uses,
// by CPUID and XGETBV: the same test the C header makes.
bool host_has(const CpuFeature& feature);

// The names of those of `features` the host lacks, in their order.
std::vector<std::string> missing_on_host(const std::vector<CpuFeature>& features);

}  // namespace rnnc
