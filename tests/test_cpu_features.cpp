// The CPUID table that JIT cells and the C headers of ahead-of-time objects
// check before running kernels (rnnc/cpu_features.h), against LLVM's own
// host detection, an independent reading of the same bits.
#include <catch2/catch.hpp>

#include <llvm/ADT/StringMap.h>
#include <llvm/TargetParser/Host.h>

#include "rnnc/cpu_features.h"

TEST_CASE("cpu features: every table entry agrees with LLVM's host detection", "[cpu]") {
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  REQUIRE(!host.empty());
  int compared = 0;
  for (const rnnc::CpuFeature& feature : rnnc::checkable_cpu_features()) {
    auto found = host.find(feature.name);
    if (found == host.end()) continue;  // LLVM does not report it on this CPU family
    INFO(feature.name);
    CHECK(rnnc::host_has(feature) == found->second);
    ++compared;
  }
  // LLVM reports nearly all of them (those of the other vendor too).
  CHECK(compared >= 45);
  WARN("compared " << compared << " features with LLVM's host detection");
}

TEST_CASE("cpu features: the baseline is present and the missing ones are named", "[cpu]") {
  std::vector<rnnc::CpuFeature> baseline = rnnc::checkable_subset({"sse", "sse2", "cx8", "cmov", "no-such-feature"});
  CHECK(baseline.size() == 4);
  CHECK(rnnc::missing_on_host(baseline).empty());
  // xop (AMD Bulldozer only) is absent from every Zen and every Intel CPU.
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  if (!host.lookup("xop")) CHECK(rnnc::missing_on_host(rnnc::checkable_subset({"sse2", "xop"})) == std::vector<std::string>{"xop"});
}
