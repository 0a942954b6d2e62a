// RNNC_PERF_MAP=1 (codegen/perf_map.h): the JIT writes /tmp/perf-PID.map,
// naming every kernel function at the address the JIT linked it to.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "rnnc/cell.h"

TEST_CASE("RNNC_PERF_MAP=1 names the JIT's kernels in perf's map file", "[jit]") {
  const std::string path = "/tmp/perf-" + std::to_string(::getpid()) + ".map";
  ::setenv("RNNC_PERF_MAP", "1", 1);
  rnnc::Cell cell = rnnc::Cell::from_file(std::string(RNNC_SOURCE_DIR) + "/dsl/gru.cell", {{"I", 13}, {"H", 17}});
  cell.compiled().backward();  // linked on first use
  ::unsetenv("RNNC_PERF_MAP");
  std::map<std::string, std::uint64_t> address_of;
  std::ifstream map(path);
  REQUIRE(map);
  for (std::string line; std::getline(map, line);) {
    std::istringstream fields(line);
    std::string address, size, name;
    fields >> address >> size >> name;
    CHECK(std::stoull(size, nullptr, 16) > 0);
    address_of[name] = std::stoull(address, nullptr, 16);
  }
  std::filesystem::remove(path);
  CHECK(address_of["rnnc_forward_inference"] ==
        reinterpret_cast<std::uintptr_t>(cell.compiled().forward_inference().function));
  CHECK(address_of["rnnc_backward"] == reinterpret_cast<std::uintptr_t>(cell.compiled().backward().function));
  // The local functions too: the workers and the GEMM helper.
  CHECK(address_of.count("rnnc_forward_inference.worker") == 1);
  CHECK(address_of.count("rnnc_backward.worker") == 1);
  bool gemm = false;
  for (const auto& [name, address] : address_of) gemm = gemm || name.rfind("rnnc.gemm.", 0) == 0;
  CHECK(gemm);
}
