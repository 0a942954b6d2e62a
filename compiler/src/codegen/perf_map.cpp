#include "codegen/perf_map.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string_view>

#include <llvm/ExecutionEngine/JITLink/JITLink.h>
#include <llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h>

namespace rnnc {

namespace {

// The one map file of the process, shared by every JIT in it.
class PerfMapFile {
 public:
  static PerfMapFile& instance() {
    static PerfMapFile file;
    return file;
  }
  void write(llvm::jitlink::LinkGraph& graph) {
    std::lock_guard lock(mutex_);
    if (!file_) return;
    for (const llvm::jitlink::Symbol* symbol : graph.defined_symbols()) {
      if (!symbol->isCallable() || !symbol->hasName() || symbol->getSize() == 0) continue;
      std::fprintf(file_, "%llx %llx %s\n", static_cast<unsigned long long>(symbol->getAddress().getValue()),
                   static_cast<unsigned long long>(symbol->getSize()), symbol->getName().str().c_str());
    }
    std::fflush(file_);
  }

 private:
  PerfMapFile() {
    std::string path = "/tmp/perf-" + std::to_string(::getpid()) + ".map";
    file_ = std::fopen(path.c_str(), "a");
  }
  std::mutex mutex_;
  std::FILE* file_ = nullptr;  // open until the process ends, as perf reads it after
};

class PerfMapPlugin final : public llvm::orc::ObjectLinkingLayer::Plugin {
 public:
  void modifyPassConfig(llvm::orc::MaterializationResponsibility&, llvm::jitlink::LinkGraph&,
                        llvm::jitlink::PassConfiguration& config) override {
    // JITLink prunes the symbols nothing names from outside (the local
    // worker functions); kept, they get an address like the others.
    config.PrePrunePasses.push_back([](llvm::jitlink::LinkGraph& graph) {
      for (llvm::jitlink::Symbol* symbol : graph.defined_symbols()) {
        if (symbol->isCallable() && symbol->hasName()) symbol->setLive(true);
      }
      return llvm::Error::success();
    });
    // After fix-up every symbol has its final address.
    config.PostFixupPasses.push_back([](llvm::jitlink::LinkGraph& graph) {
      PerfMapFile::instance().write(graph);
      return llvm::Error::success();
    });
  }
  llvm::Error notifyFailed(llvm::orc::MaterializationResponsibility&) override { return llvm::Error::success(); }
  llvm::Error notifyRemovingResources(llvm::orc::JITDylib&, llvm::orc::ResourceKey) override {
    return llvm::Error::success();
  }
  void notifyTransferringResources(llvm::orc::JITDylib&, llvm::orc::ResourceKey, llvm::orc::ResourceKey) override {}
};

}  // namespace

void add_perf_map_writer(llvm::orc::LLJIT& jit) {
  const char* setting = std::getenv("RNNC_PERF_MAP");
  if (!setting || std::string_view(setting) != "1") return;
  if (auto* layer = llvm::dyn_cast<llvm::orc::ObjectLinkingLayer>(&jit.getObjLinkingLayer())) {
    layer->addPlugin(std::make_unique<PerfMapPlugin>());
  }
}

}  // namespace rnnc
