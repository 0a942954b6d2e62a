#include "rnnc/jit.h"

#include <mutex>

#include <llvm/ExecutionEngine/Orc/LLJIT.h>

#include "codegen/llvm_backend.h"
#include "rnnc/internal_error.h"
#include "rnnc/kernel_cache.h"
#include "rnnc/pipeline.h"

namespace rnnc {

struct CompiledCell::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  KernelLayout layout;
  KernelSymbols symbols{""};  // the backend's
  Kernel inference, training, backward_kernel;
  PackKernel pack = nullptr;
  bool from_cache = false;
  // Training and backward compile on first use (see codegen/llvm_backend.h),
  // one at a time: the JIT's compiler and target machine are not safe to
  // share between threads.
  std::mutex lazy;

  const Kernel& compiled(Kernel& kernel, const std::string& symbol) {
    std::lock_guard lock(lazy);
    if (!kernel.function) {
      auto address = jit->lookup(symbol);
      RNNC_ASSERT(bool(address), "the JIT cannot compile a verified kernel: " +
                                     (address ? std::string() : llvm::toString(address.takeError())));
      kernel.function = address->toPtr<SequenceKernel>();
    }
    return kernel;
  }
};

CompiledCell::CompiledCell(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledCell::~CompiledCell() = default;

const Graph& CompiledCell::forward_graph() const { return impl_->layout.forward; }
const BackwardStep& CompiledCell::backward_step() const { return impl_->layout.backward; }
const WorkspaceLayout& CompiledCell::workspace() const { return impl_->layout.workspace; }
const Kernel& CompiledCell::forward_inference() const { return impl_->inference; }
const Kernel& CompiledCell::forward_training() const {
  return impl_->compiled(impl_->training, impl_->symbols.training);
}
const Kernel& CompiledCell::backward() const { return impl_->compiled(impl_->backward_kernel, impl_->symbols.backward); }
PackKernel CompiledCell::pack_weights() const { return impl_->pack; }
std::int64_t CompiledCell::packed_weight_floats() const { return impl_->layout.packing.floats; }
int CompiledCell::vector_width() const { return impl_->layout.schedule.vector_width; }
std::int64_t CompiledCell::panel_width() const { return impl_->layout.schedule.panel_width(); }
std::int64_t CompiledCell::widest_row_floats() const { return rnnc::widest_row_floats(impl_->layout); }
bool CompiledCell::from_cache() const { return impl_->from_cache; }
std::vector<std::string> CompiledCell::missing_host_features() const {
  return missing_on_host(impl_->layout.required_features);
}

Expected<std::unique_ptr<CompiledCell>> CompiledCell::compile(const Graph& forward, const TargetOptions& target) {
  Expected<std::unique_ptr<LlvmBackend>> backend =
      LlvmBackend::create(target, LlvmBackend::Output::Jit, [](const std::string&) { return "rnnc"; },
                          KernelCache::from_environment());
  if (!backend) return backend.error();
  PipelineInput input;
  input.ir = &forward;
  Expected<PipelineResult> result = run_pipeline(input, backend->get());
  if (!result) return result.error();
  auto impl = std::make_unique<Impl>();
  impl->layout = std::move(*result->layout);
  impl->jit = (*backend)->take_jit();
  const LlvmBackend::JitKernels& kernels = (*backend)->jit_kernels();
  const KernelLayout& layout = impl->layout;
  impl->inference = {kernels.inference, layout.inference, layout.inference_arguments};
  impl->symbols = (*backend)->symbols();
  impl->training = {nullptr, layout.training, layout.training_arguments};
  impl->backward_kernel = {nullptr, layout.backward_kernel, layout.backward_arguments};
  impl->pack = kernels.pack;
  impl->from_cache = kernels.from_cache;
  return std::unique_ptr<CompiledCell>(new CompiledCell(std::move(impl)));
}

}  // namespace rnnc
