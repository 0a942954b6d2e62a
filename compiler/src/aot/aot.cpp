#include "rnnc/aot.h"

#include "codegen/llvm_backend.h"

namespace rnnc {

std::string aot_kernel_prefix(const std::string& name) { return name + "_kernel"; }

Expected<std::optional<AotCell>> compile_ahead_of_time(const PipelineInput& input, const AotOptions& options) {
  auto symbol_prefix = [&](const std::string& cell_name) {
    return aot_kernel_prefix(options.name.empty() ? cell_name : options.name);
  };
  Expected<std::unique_ptr<LlvmBackend>> backend =
      LlvmBackend::create(options.target, LlvmBackend::Output::Object, symbol_prefix, options.cache);
  if (!backend) return backend.error();
  Expected<PipelineResult> result = run_pipeline(input, backend->get(), options.hook);
  if (!result) return result.error();
  if (!result->finished) return std::optional<AotCell>();
  AotCell cell;
  cell.layout = std::move(*result->layout);
  cell.name = options.name.empty() ? cell.layout.forward.cell_name : options.name;
  cell.cpu = (*backend)->cpu();
  cell.features = (*backend)->features();
  cell.object = (*backend)->take_object();
  return std::optional<AotCell>(std::move(cell));
}

}  // namespace rnnc
