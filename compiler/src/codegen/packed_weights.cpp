#include "codegen/packed_weights.h"

#include <llvm/IR/IRBuilder.h>

#include "rnnc/internal_error.h"

namespace rnnc {

std::int64_t PackedWeights::offset(int param, bool transposed) const {
  for (const Form& form : forms) {
    if (form.param == param && form.transposed == transposed) return form.offset;
  }
  RNNC_ASSERT(false, "a matrix product whose weights were not packed");
}

PackedWeights plan_packed_weights(const std::vector<const Graph*>& graphs, const GemmSchedule& schedule) {
  PackedWeights packing;
  for (const Graph* graph : graphs) {
    for (const Node& node : graph->nodes) {
      if (op_class(node.op) != OpClass::MatVec) continue;
      bool transposed = node.op == Op::MatVecT;
      bool known = false;
      for (const PackedWeights::Form& form : packing.forms) {
        known = known || (form.param == node.symbol && form.transposed == transposed);
      }
      if (known) continue;
      const Shape& shape = graph->params[std::size_t(node.symbol)].shape;
      std::int64_t rows = shape.rows.constant_value(), cols = shape.cols.constant_value();
      packing.forms.push_back({node.symbol, transposed, packing.floats});
      packing.floats += transposed ? packed_floats(cols, rows, schedule) : packed_floats(rows, cols, schedule);
    }
  }
  return packing;
}

void emit_pack_kernel(const std::vector<Symbol>& params, const PackedWeights& packing, const GemmSchedule& schedule,
                      const std::string& name, llvm::Module& module) {
  llvm::LLVMContext& context = module.getContext();
  llvm::Type* ptr = llvm::PointerType::getUnqual(context);
  auto* function = llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getVoidTy(context), {ptr, ptr}, false),
                                          llvm::Function::ExternalLinkage, name, module);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(context, "entry", function));
  for (const PackedWeights::Form& form : packing.forms) {
    const Shape& shape = params[std::size_t(form.param)].shape;
    std::int64_t rows = shape.rows.constant_value(), cols = shape.cols.constant_value();
    llvm::Value* matrix = b.CreateLoad(ptr, b.CreateGEP(ptr, function->getArg(0), b.getInt64(std::uint64_t(form.param))));
    llvm::Value* packed = b.CreateGEP(b.getFloatTy(), function->getArg(1), b.getInt64(std::uint64_t(form.offset)));
    // Wᵀ is [cols][rows]; W, row-major [rows][cols], is its transpose.
    if (form.transposed) {
      emit_pack_weights(b, function, matrix, packed, cols, rows, schedule, /*transposed=*/true);
    } else {
      emit_pack_weights(b, function, matrix, packed, rows, cols, schedule);
    }
  }
  b.CreateRetVoid();
}

}  // namespace rnnc
