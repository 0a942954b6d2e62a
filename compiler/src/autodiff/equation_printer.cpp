#include "rnnc/equation_printer.h"

#include <fmt/format.h>

namespace rnnc {

namespace {

// Binding strength of an expression's top operator, for parentheses.
enum Precedence { kSum = 1, kProduct = 2, kUnary = 3, kAtom = 4 };

class EquationPrinter {
 public:
  EquationPrinter(const Graph& forward, const BackwardStep& backward)
      : forward_(forward), step_(backward), graph_(backward.graph), uses_(graph_.nodes.size()), names_(graph_.nodes.size()) {
    for (const Node& node : graph_.nodes) {
      for (NodeId operand : node.operands) ++uses_[std::size_t(operand)];
    }
    for (NodeId id : graph_.next_states) ++uses_[std::size_t(id)];
    for (const Output& output : graph_.outputs) ++uses_[std::size_t(output.node)];
    for (const ParamGradient& gradient : graph_.param_gradients) ++uses_[std::size_t(gradient.node)];
  }

  std::string run() {
    std::string out = header();
    // Values used more than once get a name of their own, in order.
    int temporaries = 0;
    for (std::size_t id = 0; id < graph_.nodes.size(); ++id) {
      const Node& node = graph_.nodes[id];
      if (op_class(node.op) == OpClass::Leaf || uses_[id] < 2) continue;
      std::string text = render(NodeId(id), kSum, true);
      names_[id] = fmt::format("t{}", ++temporaries);
      out += fmt::format("  {} = {}\n", names_[id], text);
    }
    out += "\n";
    for (std::size_t s = 0; s < graph_.states.size(); ++s) {
      out += fmt::format("  d{} = {}    # to step t-1\n", forward_.states[s].name, render(graph_.next_states[s], kSum));
    }
    for (const Output& output : graph_.outputs) out += fmt::format("  {} = {}\n", output.name, render(output.node, kSum));
    for (const ParamGradient& gradient : graph_.param_gradients) {
      out += fmt::format("  d{} += {}\n", graph_.params[std::size_t(gradient.param)].name, render(gradient.node, kSum));
    }
    return out;
  }

 private:
  std::string header() const {
    std::vector<std::string> dims;
    for (const std::string& name : forward_.dimension_names) {
      dims.push_back(fmt::format("{}={}", name, forward_.dimension_values.at(name)));
    }
    std::string out = fmt::format("backward step of {}<{}>\n", forward_.cell_name, fmt::join(dims, ", "));
    std::vector<std::string> saved, adjoints_in;
    for (std::size_t i = 0; i < graph_.inputs.size(); ++i) {
      std::string entry = fmt::format("{}[{}]", graph_.inputs[i].name, element_count(graph_.inputs[i].shape));
      if (step_.input_sources[i].kind == BackwardInputSource::Kind::Saved) saved.push_back(entry);
      if (step_.input_sources[i].kind == BackwardInputSource::Kind::OutputAdjoint) adjoints_in.push_back(entry);
    }
    for (std::size_t s = 0; s < graph_.states.size(); ++s) {
      adjoints_in.insert(adjoints_in.begin() + std::ptrdiff_t(s),
                         fmt::format("d{}'[{}]", forward_.states[s].name, element_count(graph_.states[s].shape)));
    }
    const SavePlan& plan = step_.plan;
    out += fmt::format("  saved per step and sample: {} ({} floats)\n", saved.empty() ? "nothing" : fmt::format("{}", fmt::join(saved, ", ")),
                       plan.saved_floats);
    out += fmt::format("  plus the states: {} floats; workspace {} floats per step and sample\n", plan.state_floats,
                       plan.floats_per_step);
    out += fmt::format("  adjoints in: {}\n\n", fmt::join(adjoints_in, ", "));
    return out;
  }

  std::string render(NodeId id, int context, bool expand = false) const {
    const Node& node = graph_.node(id);
    if (!expand && !names_[std::size_t(id)].empty()) return names_[std::size_t(id)];
    auto [text, precedence] = render_node(node);
    return precedence < context ? fmt::format("({})", text) : text;
  }

  std::pair<std::string, int> render_node(const Node& node) const {
    auto arg = [&](std::size_t i, int context = kSum) { return render(node.operands[i], context); };
    auto param = [&] { return graph_.params[std::size_t(node.symbol)].name; };
    switch (node.op) {
      case Op::Constant: return {fmt::format("{}", node.constant), kAtom};
      case Op::Input: return {graph_.inputs[std::size_t(node.symbol)].name, kAtom};
      case Op::State: return {fmt::format("d{}'", forward_.states[std::size_t(node.symbol)].name), kAtom};
      case Op::Param: return {param(), kAtom};
      case Op::Neg: return {fmt::format("-{}", arg(0, kUnary)), kUnary};
      case Op::Add: return {arg(0, kSum) + " + " + arg(1, kProduct), kSum};
      case Op::Sub: return {arg(0, kSum) + " - " + arg(1, kProduct), kSum};
      case Op::Mul: return {arg(0, kProduct) + " * " + arg(1, kUnary), kProduct};
      case Op::Div: return {arg(0, kProduct) + " / " + arg(1, kUnary), kProduct};
      case Op::GreaterEqual: return {fmt::format("[{} >= {}]", arg(0), arg(1)), kAtom};
      case Op::MatVec: return {fmt::format("{} @ {}", param(), arg(0, kAtom)), kProduct};
      case Op::MatVecT: return {fmt::format("{}ᵀ @ {}", param(), arg(0, kAtom)), kProduct};
      case Op::Outer: return {fmt::format("{} ⊗ {}", arg(0, kAtom), arg(1, kAtom)), kProduct};
      case Op::Broadcast: return {arg(0, kAtom), kAtom};
      case Op::Slice:
        return {fmt::format("{}[{}:{}]", arg(0, kAtom), node.slice_begin.to_string(),
                            (node.slice_begin + node.shape.rows).to_string()),
                kAtom};
      case Op::Pad: return {fmt::format("pad({}, at {})", arg(0), node.slice_begin.to_string()), kAtom};
      case Op::Concat: {
        std::vector<std::string> parts;
        for (std::size_t i = 0; i < node.operands.size(); ++i) parts.push_back(arg(i));
        return {fmt::format("[{}]", fmt::join(parts, ", ")), kAtom};
      }
      default: {
        std::vector<std::string> parts;
        for (std::size_t i = 0; i < node.operands.size(); ++i) parts.push_back(arg(i));
        return {fmt::format("{}({})", op_mnemonic(node.op), fmt::join(parts, ", ")), kAtom};
      }
    }
  }

  const Graph& forward_;
  const BackwardStep& step_;
  const Graph& graph_;
  std::vector<int> uses_;
  std::vector<std::string> names_;
};

}  // namespace

std::string print_backward_equations(const Graph& forward, const BackwardStep& backward) {
  return EquationPrinter(forward, backward).run();
}

}  // namespace rnnc
