#include "codegen/packed_weights.h"

#include <llvm/IR/IRBuilder.h>

#include "codegen/loops.h"
#include "rnnc/internal_error.h"

namespace rnnc {

namespace {

// W [n][k] as the GEMM sees it: n output columns, k steps.
std::pair<std::int64_t, std::int64_t> gemm_extent(const Symbol& param, bool transposed) {
  std::int64_t rows = param.shape.rows.constant_value(), cols = param.shape.cols.constant_value();
  return transposed ? std::pair{cols, rows} : std::pair{rows, cols};
}

}  // namespace

std::int64_t PackedWeights::offset(const std::vector<int>& params, bool transposed) const {
  for (const Form& form : forms) {
    if (form.params == params && form.transposed == transposed) return form.offset;
  }
  RNNC_ASSERT(false, "a matrix product whose weights were not packed");
}

std::vector<std::int64_t> stacked_columns(const std::vector<Symbol>& params, const std::vector<int>& stack,
                                          bool transposed) {
  std::vector<std::int64_t> columns;
  for (std::size_t i = 0; i < stack.size(); ++i) {
    std::int64_t n = gemm_extent(params[std::size_t(stack[i])], transposed).first;
    if (i + 1 < stack.size()) n = (n + kProductAlignment - 1) / kProductAlignment * kProductAlignment;
    columns.push_back(n);
  }
  return columns;
}

PackedWeights plan_packed_weights(const std::vector<const Graph*>& graphs, const GemmSchedule& schedule) {
  PackedWeights packing;
  auto add = [&](const Graph& graph, std::vector<int> stack, bool transposed) {
    for (const PackedWeights::Form& form : packing.forms) {
      if (form.params == stack && form.transposed == transposed) return;
    }
    std::int64_t k = gemm_extent(graph.params[std::size_t(stack[0])], transposed).second;
    std::int64_t columns = 0;
    for (std::int64_t n : stacked_columns(graph.params, stack, transposed)) columns += n;
    packing.forms.push_back({stack, transposed, packing.floats});
    packing.floats += packed_floats(columns, k, schedule);
  };
  for (const Graph* graph : graphs) {
    std::vector<std::vector<NodeId>> groups = merged_products(*graph, plan_phases(*graph));
    std::vector<bool> grouped(graph->nodes.size(), false);
    for (const std::vector<NodeId>& group : groups) {
      std::vector<int> stack;
      for (NodeId member : group) {
        stack.push_back(graph->node(member).symbol);
        grouped[std::size_t(member)] = true;
      }
      add(*graph, stack, graph->node(group[0]).op == Op::MatVecT);
    }
    for (std::size_t id = 0; id < graph->nodes.size(); ++id) {
      const Node& node = graph->nodes[id];
      if (op_class(node.op) == OpClass::MatVec && !grouped[id]) add(*graph, {node.symbol}, node.op == Op::MatVecT);
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
      emit_loop(b, b.getInt64(std::uint64_t(packed_padded - packed_own)), "zero_gap", [&](llvm::Value* j) {
        b.CreateStore(llvm::ConstantFP::get(b.getFloatTy(), 0.0), b.CreateGEP(b.getFloatTy(), gap, j));
      });
      position += packed_padded;
    }
  }
  b.CreateRetVoid();
}

}  // namespace rnnc
