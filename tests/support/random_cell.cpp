#include "support/random_cell.h"

#include <random>
#include <vector>

#include <fmt/format.h>

namespace rnnc::testing {

namespace {

// The length of a generated expression: H, I or a scalar.
enum class Kind { H, I, Scalar };

struct Value {
  std::string name;
  Kind kind;
};

// Where the generator's choices come from: a seeded random stream, or the
// bytes a fuzzer mutates (so that its coverage feedback steers the cell).
class Choices {
 public:
  virtual ~Choices() = default;
  // A value in [low, high].
  virtual int pick(int low, int high) = 0;
};

class SeededChoices : public Choices {
 public:
  explicit SeededChoices(std::uint32_t seed) : random_(seed) {}
  int pick(int low, int high) override { return std::uniform_int_distribution<int>(low, high)(random_); }

 private:
  std::mt19937 random_;
};

// Each choice takes one byte; once they run out every choice is the lowest,
// which ends every expression at its next leaf.
class ByteChoices : public Choices {
 public:
  explicit ByteChoices(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  int pick(int low, int high) override {
    if (next_ == bytes_.size()) return low;
    return low + int(bytes_[next_++] % unsigned(high - low + 1));
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t next_ = 0;
};

class CellGenerator {
 public:
  explicit CellGenerator(Choices& choices) : choices_(choices) {}

  RandomCell run() {
    int inputs = pick(1, 2), states = pick(1, 3), locals = pick(0, 3), outputs = pick(0, 2);
    std::vector<std::string> input_decls, state_decls;
    for (int i = 0; i < inputs; ++i) {
      Kind kind = i == 0 ? Kind::I : pick_kind_vector();
      std::string name = fmt::format("x{}", i);
      input_decls.push_back(fmt::format("{}[{}]", name, extent(kind)));
      values_.push_back({name, kind});
    }
    for (int s = 0; s < states; ++s) {
      std::string name = fmt::format("h{}", s);
      state_decls.push_back(fmt::format("{}[H]", name));
      values_.push_back({name, Kind::H});
    }
    std::string body;
    body += fmt::format("  input {}\n", fmt::join(input_decls, ", "));
    body += fmt::format("  state {}\n", fmt::join(state_decls, ", "));
    body += "  param W_hi[H, I], W_hh[H, H], W_ih[I, H], b[H], c[I], k, m\n";
    for (int l = 0; l < locals; ++l) {
      Kind kind = pick_kind();
      std::string name = fmt::format("v{}", l);
      body += fmt::format("  {} = {}\n", name, expression(kind, 3));
      values_.push_back({name, kind});
    }
    for (int s = 0; s < states; ++s) {
      // A convex mix of the old state and a bounded update keeps long
      // sequences finite.
      std::string update = fmt::format("tanh({})", expression(Kind::H, 3));
      if (pick(0, 1)) update = fmt::format("0.5 * h{} + 0.5 * {}", s, update);
      body += fmt::format("  h{}' = {}\n", s, update);
      values_.push_back({fmt::format("h{}'", s), Kind::H});
    }
    for (int o = 0; o < outputs; ++o) {
      body += fmt::format("  output y{} = {}\n", o, expression(pick_kind(), 2));
    }
    return {fmt::format("cell random<I, H> {{\n{}}}\n", body), std::move(builtins_)};
  }

 private:
  int pick(int low, int high) { return choices_.pick(low, high); }
  Kind pick_kind() { return Kind(pick(0, 2)); }
  Kind pick_kind_vector() { return Kind(pick(0, 1)); }
  static const char* extent(Kind kind) { return kind == Kind::H ? "H" : "I"; }

  std::string call(const char* builtin, const std::string& args) {
    builtins_.insert(builtin);
    return fmt::format("{}({})", builtin, args);
  }

  std::string leaf(Kind kind) {
    std::vector<std::string> choices;
    for (const Value& value : values_) {
      if (value.kind == kind) choices.push_back(value.name);
    }
    if (kind == Kind::H) choices.push_back("b");
    if (kind == Kind::I) choices.push_back("c");
    if (kind == Kind::Scalar) {
      choices.push_back("k");
      choices.push_back("m");
      choices.push_back(fmt::format("{}", pick(1, 9) / 4.0));
    }
    return choices[std::size_t(pick(0, int(choices.size()) - 1))];
  }

  // A bounded expression of the given kind (tanh or sigmoid of anything).
  std::string bounded(Kind kind, int depth) {
    return call(pick(0, 1) ? "tanh" : "sigmoid", expression(kind, depth));
  }

  std::string expression(Kind kind, int depth) {
    if (depth == 0) return leaf(kind);
    int d = depth - 1;
    if (kind == Kind::Scalar) {
      switch (pick(0, 4)) {
        case 0: return leaf(kind);
        case 1: return call("sum", expression(pick_kind_vector(), d));
        case 2: return call("mean", expression(pick_kind_vector(), d));
        case 3: return fmt::format("({} * {})", expression(Kind::Scalar, d), leaf(Kind::Scalar));
        default: return fmt::format("({})[0:1]", expression(pick_kind_vector(), d));  // a length-1 vector broadcasts
      }
    }
    const char* n = extent(kind);
    switch (pick(0, 21)) {
      case 0: return leaf(kind);
      case 1: return call("sigmoid", expression(kind, d));
      case 2: return call("tanh", expression(kind, d));
      case 3: return call("relu", expression(kind, d));
      case 4: return call("exp", bounded(kind, d));
      case 5: return call("log", fmt::format("1 + {}", call("softplus", expression(kind, d))));
      case 6: {
        std::string e = expression(kind, d);
        return call("sqrt", fmt::format("0.5 + {} * {}", e, e));
      }
      case 7: return call("abs", expression(kind, d));
      case 8: return call("softplus", expression(kind, d));
      case 9: return call("max", fmt::format("{}, {}", expression(kind, d), expression(pick(0, 3) ? kind : Kind::Scalar, d)));
      case 10: return call("min", fmt::format("{}, {}", expression(kind, d), expression(pick(0, 3) ? kind : Kind::Scalar, d)));
      case 11: return call("softmax", expression(kind, d));
      case 12: return fmt::format("({} + {})", expression(kind, d), expression(pick(0, 3) ? kind : Kind::Scalar, d));
      case 13: return fmt::format("({} - {})", expression(pick(0, 3) ? kind : Kind::Scalar, d), expression(kind, d));
      case 14: return fmt::format("{} * {}", expression(kind, d), expression(pick(0, 2) ? kind : Kind::Scalar, d));
      case 15: return fmt::format("{} / (1.5 + {})", expression(kind, d), bounded(pick(0, 2) ? kind : Kind::Scalar, d));
      case 16: return fmt::format("-{}", expression(kind, d));
      case 17:  // a matrix product from either length
        if (kind == Kind::H) {
          return pick(0, 1) ? fmt::format("W_hi @ ({})", expression(Kind::I, d)) : fmt::format("W_hh @ ({})", expression(Kind::H, d));
        }
        return fmt::format("W_ih @ ({})", expression(Kind::H, d));
      case 18:  // a slice of a concatenation of both lengths
        return fmt::format("([{}, {}])[{}:{}]", expression(Kind::H, d), expression(Kind::I, d),
                           kind == Kind::H ? "0" : "H", kind == Kind::H ? "H" : "H + I");
      case 19:  // rebuilt from pieces, with a scalar in the middle
        return fmt::format("[({})[0:1], {}, ({})[2:{}]]", expression(kind, d), expression(Kind::Scalar, d),
                           expression(kind, d), n);
      case 20: return fmt::format("{} * {}", expression(Kind::Scalar, d), expression(kind, d));
      default:  // slices with an omitted bound
        return pick(0, 1) ? fmt::format("({})[:{}]", expression(kind, d), n) : fmt::format("({})[0:]", expression(kind, d));
    }
  }

  Choices& choices_;
  std::vector<Value> values_;
  std::set<std::string> builtins_;
};

}  // namespace

RandomCell generate_random_cell(std::uint32_t seed) {
  SeededChoices choices(seed);
  return CellGenerator(choices).run();
}

RandomCell generate_cell_from_bytes(std::span<const std::uint8_t> bytes) {
  ByteChoices choices(bytes);
  return CellGenerator(choices).run();
}

}  // namespace rnnc::testing
