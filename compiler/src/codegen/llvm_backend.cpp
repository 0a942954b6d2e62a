#include "codegen/llvm_backend.h"

#include <algorithm>
#include <map>
#include <set>

#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/gemm.h"
#include "codegen/object_emitter.h"
#include "codegen/packed_weights.h"
#include "codegen/perf_map.h"
#include "codegen/sequence_codegen.h"
#include "codegen/target.h"
#include "rnnc/ir_printer.h"

namespace rnnc {

KernelSymbols::KernelSymbols(const std::string& prefix)
    : inference(prefix + "_forward_inference"),
      training(prefix + "_forward_training"),
      backward(prefix + "_backward"),
      pack(prefix + "_pack_weights") {}

namespace {

// What LLVM refused of the target or of linking, as a usage error.
CompileError target_error(llvm::Error error) {
  return CompileError{CompileError::Kind::Target, llvm::toString(std::move(error))};
}

// Sets `function` to the JIT's address of `symbol` (compiling the module
// on the first lookup).
template <class Function>
std::optional<CompileError> look_up(llvm::orc::LLJIT& jit, const std::string& symbol, Function& function) {
  auto found = jit.lookup(symbol);
  if (!found) return target_error(found.takeError());
  function = found->toPtr<Function>();
  return std::nullopt;
}

// Declares in `module` each function `first` defines, before `module` is
// emitted: its calls of the GEMM and packing helpers then go to the first
// module's definitions (compiled once) instead of to copies of its own.
void declare_definitions(const llvm::Module& first, llvm::Module& module) {
  for (const llvm::Function& function : first) {
    if (function.isDeclaration() || module.getFunction(function.getName())) continue;
    llvm::Function* declared = llvm::Function::Create(function.getFunctionType(), llvm::GlobalValue::ExternalLinkage,
                                                      function.getName(), module);
    declared->copyAttributesFrom(&function);
  }
}

// After all are emitted: what the other modules call of the first becomes
// external (hidden), and the declarations nothing calls go.
void link_to_first(const std::vector<std::unique_ptr<llvm::Module>>& parts) {
  for (std::size_t part = 1; part < parts.size(); ++part) {
    for (auto function = parts[part]->begin(); function != parts[part]->end();) {
      llvm::Function& declared = *function++;
      if (!declared.isDeclaration()) continue;
      if (declared.use_empty()) {
        declared.eraseFromParent();
        continue;
      }
      llvm::Function* defined = parts.front()->getFunction(declared.getName());
      if (defined && defined->hasLocalLinkage()) {
        defined->setLinkage(llvm::GlobalValue::ExternalLinkage);
        defined->setVisibility(llvm::GlobalValue::HiddenVisibility);
      }
    }
  }
}

}  // namespace

Expected<std::unique_ptr<LlvmBackend>> LlvmBackend::create(const TargetOptions& target, Output output,
                                                           SymbolPrefix symbol_prefix,
                                                           std::shared_ptr<const KernelCache> cache) {
  auto fail = target_error;
  auto builder = make_target_builder(target);
  if (!builder) return fail(builder.takeError());
  // An object file is position independent, so that it links into PIE
  // executables and shared libraries alike. The JIT's objects keep the JIT
  // target machine's large code model, which JITLink links as well; small
  // and PIC, what LLJIT's own compiler would use, measured no faster
  // (lstm, gru, H = 512, B = 16 and 64).
  if (output == Output::Object) builder->setRelocationModel(llvm::Reloc::PIC_);
  auto machine = builder->createTargetMachine();
  if (!machine) return fail(machine.takeError());
  return std::unique_ptr<LlvmBackend>(new LlvmBackend(std::move(*builder), std::move(*machine), output,
                                                      std::move(symbol_prefix), std::move(cache)));
}

LlvmBackend::LlvmBackend(llvm::orc::JITTargetMachineBuilder builder, std::unique_ptr<llvm::TargetMachine> machine,
                         Output output, SymbolPrefix symbol_prefix, std::shared_ptr<const KernelCache> cache)
    : builder_(std::move(builder)),
      machine_(std::move(machine)),
      output_(output),
      symbol_prefix_(std::move(symbol_prefix)),
      cache_(std::move(cache)) {}

GemmSchedule LlvmBackend::gemm_schedule() const { return choose_gemm_schedule(*machine_); }
std::vector<CpuFeature> LlvmBackend::required_features() const { return required_cpu_features(*machine_); }
std::string LlvmBackend::cpu() const { return machine_->getTargetCPU().str(); }
std::string LlvmBackend::features() const { return machine_->getTargetFeatureString().str(); }

void LlvmBackend::emit(const KernelLayout& layout) {
  symbols_ = KernelSymbols(symbol_prefix_(layout.forward.cell_name));
  // The symbol prefix is part of each role: it is in the code.
  std::vector<std::string> roles = {"object " + symbols_.pack};
  if (output_ == Output::Jit) {
    roles = {"jit pack+inference " + symbols_.pack, "jit training " + symbols_.pack, "jit backward " + symbols_.pack};
  }
  bool all_cached = true;
  const std::string cell_ir = print_graph(layout.forward);
  for (const std::string& role : roles) {
    entries_.push_back({module_cache_key(cell_ir, *machine_, role), module_description(cell_ir, *machine_, role)});
    cached_.push_back(cache_ ? cache_->load(entries_.back().key) : std::nullopt);
    all_cached = all_cached && cached_.back();
  }
  context_ = llvm::orc::ThreadSafeContext(std::make_unique<llvm::LLVMContext>());
  modules_.resize(roles.size());
  if (all_cached) return;
  // The object file: one module. The JIT: pack and inference (with the
  // helpers), training, backward, each emitted into a module of its own.
  std::vector<std::unique_ptr<llvm::Module>> parts;
  auto next_part = [&] {
    parts.push_back(std::make_unique<llvm::Module>("rnnc_" + layout.forward.cell_name, *context_.getContext()));
    if (parts.size() > 1) declare_definitions(*parts.front(), *parts.back());
    return parts.back().get();
  };
  llvm::Module* module = next_part();
  emit_pack_kernel(layout.forward.params, layout.packing, layout.schedule, symbols_.pack, *module);
  emit_sequence_kernel(layout.forward, layout.inference, symbols_.inference, *module);
  if (output_ == Output::Jit) module = next_part();
  emit_sequence_kernel(layout.forward, layout.training, symbols_.training, *module);
  if (output_ == Output::Jit) module = next_part();
  emit_sequence_kernel(layout.backward.graph, layout.backward_kernel, symbols_.backward, *module);
  link_to_first(parts);
  for (const auto& part : parts) prepare_module(*part, *machine_);
  for (std::size_t part = 0; part < parts.size(); ++part) {
    if (cached_[part]) continue;
    parts[part]->setModuleIdentifier(entries_[part].key.hex());  // how CachingCompiler finds the entry
    modules_[part] = std::move(parts[part]);
  }
}

void LlvmBackend::verify(const char* stage) {
  for (const auto& module : modules_) {
    if (module) verify_module(*module, stage);
  }
}

void LlvmBackend::optimize() {
  if (modules_.front()) optimize_module(*modules_.front(), *machine_);
}

std::string LlvmBackend::ir_text() const {
  std::string text;
  llvm::raw_string_ostream stream(text);
  for (const auto& module : modules_) {
    if (module) module->print(stream, nullptr);
  }
  return text;
}

std::string LlvmBackend::assembly() {
  std::string text;
  for (const auto& module : modules_) {
    if (module) text += emit_machine_code(*module, *machine_, MachineCodeKind::Assembly);
  }
  return text;
}

std::optional<CompileError> LlvmBackend::finish() {
  if (output_ == Output::Jit) return finish_jit();
  if (cached_.front()) {
    object_ = std::move(*cached_.front());
  } else {
    object_ = emit_machine_code(*modules_.front(), *machine_, MachineCodeKind::Object);
    report_codegen_pass_times();
    if (cache_) cache_->store(entries_.front().key, entries_.front().description, object_);
  }
  return std::nullopt;
}

std::optional<CompileError> LlvmBackend::finish_jit() {
  auto fail = target_error;
  // What the JIT compiles (the modules the cache did not have) it stores.
  std::map<std::string, CachingCompiler::Entry> compiled;
  for (std::size_t part = 0; part < modules_.size(); ++part) {
    if (modules_[part]) compiled[modules_[part]->getModuleIdentifier()] = entries_[part];
  }
  auto compiler = [&](llvm::orc::JITTargetMachineBuilder)
      -> llvm::Expected<std::unique_ptr<llvm::orc::IRCompileLayer::IRCompiler>> {
    return std::make_unique<CachingCompiler>(machine_, cache_, compiled);
  };
  auto jit =
      llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(builder_).setCompileFunctionCreator(compiler).create();
  if (!jit) return fail(jit.takeError());
  // LLVM may turn copy loops into memcpy or memset: resolve those in this
  // process.
  auto generator =
      llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess((*jit)->getDataLayout().getGlobalPrefix());
  if (!generator) return fail(generator.takeError());
  (*jit)->getMainJITDylib().addGenerator(std::move(*generator));
  add_perf_map_writer(**jit);
  // The modules optimize() left (all but the first) are optimized when
  // first looked up.
  std::set<std::string> lazy;
  for (std::size_t m = 1; m < modules_.size(); ++m) {
    if (modules_[m]) lazy.insert(modules_[m]->getModuleIdentifier());
  }
  auto optimize_lazy = [machine = machine_, lazy](llvm::orc::ThreadSafeModule module,
                                                  const llvm::orc::MaterializationResponsibility&) {
    module.withModuleDo([&](llvm::Module& m) {
      if (!lazy.count(m.getModuleIdentifier())) return;
      optimize_module(m, *machine);
      verify_module(m, "after optimization");
    });
    return llvm::Expected<llvm::orc::ThreadSafeModule>(std::move(module));
  };
  (*jit)->getIRTransformLayer().setTransform(optimize_lazy);
  for (std::size_t part = 0; part < modules_.size(); ++part) {
    llvm::Error error = cached_[part]
                            ? (*jit)->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(*cached_[part]))
                            : (*jit)->addIRModule(llvm::orc::ThreadSafeModule(std::move(modules_[part]), context_));
    if (error) return fail(std::move(error));
  }
  kernels_.from_cache = std::all_of(cached_.begin(), cached_.end(), [](const auto& object) { return bool(object); });
  modules_.clear();
  cached_.clear();
  for (std::optional<CompileError> error :
       {look_up(**jit, symbols_.inference, kernels_.inference), look_up(**jit, symbols_.pack, kernels_.pack)}) {
    if (error) return error;
  }
  report_codegen_pass_times();
  jit_ = std::move(*jit);
  return std::nullopt;
}

}  // namespace rnnc
