#include "codegen/packed_weights.h"

#include <llvm/IR/IRBuilder.h>

#include "codegen/pointwise_codegen.h"
#include "rnnc/internal_error.h"

namespace rnnc {

void emit_pack_kernel(const std::vector<Symbol>& params, const PackedWeights& packing, const GemmSchedule& schedule,
                      const std::string& name, llvm::Module& module) {
  llvm::LLVMContext& context = module.getContext();
  llvm::Type* ptr = llvm::PointerType::getUnqual(context);
  auto* function = llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getVoidTy(context), {ptr, ptr}, false),
                                          llvm::Function::ExternalLinkage, name, module);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(context, "entry", function));
  for (const PackedWeights::Form& form : packing.forms) {
    std::vector<std::int64_t> columns = stacked_columns(params, form.params, form.transposed);
    std::int64_t position = form.offset;
    for (std::size_t i = 0; i < form.params.size(); ++i) {
      auto [n, k] = gemm_extent(params[std::size_t(form.params[i])], form.transposed);
      llvm::Value* matrix =
          b.CreateLoad(ptr, b.CreateGEP(ptr, function->getArg(0), b.getInt64(std::uint64_t(form.params[i]))));
      llvm::Value* packed = b.CreateGEP(b.getFloatTy(), function->getArg(1), b.getInt64(std::uint64_t(position)));
      // Wᵀ's source is W, row-major [k][n].
      emit_pack_weights(b, function, matrix, packed, n, k, schedule, form.transposed);
      // Panels between the matrix's own and the next matrix's are zero.
      std::int64_t packed_own = packed_floats(n, k, schedule), packed_padded = packed_floats(columns[i], k, schedule);
      llvm::Value* gap = b.CreateGEP(b.getFloatTy(), packed, b.getInt64(std::uint64_t(packed_own)));
      emit_copy(b, schedule.vector_width, {nullptr, llvm::ConstantFP::get(b.getFloatTy(), 0.0), 1}, gap, b.getInt64(0),
                b.getInt64(std::uint64_t(packed_padded - packed_own)));
      position += packed_padded;
    }
  }
  b.CreateRetVoid();
}

}  // namespace rnnc
