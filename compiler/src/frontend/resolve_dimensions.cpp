// resolve_dimensions(): binding a checked cell's dimensions to numbers.
#include <algorithm>

#include <fmt/format.h>

#include "rnnc/checker.h"

namespace rnnc {

std::string describe_binding(const DimensionValues& values) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : values) parts.push_back(fmt::format("{} = {}", name, value));
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::optional<DimensionValues> resolve_dimensions(const CheckedCell& cell,
                                                  const std::vector<std::pair<std::string, std::int64_t>>& given,
                                                  DiagnosticEngine& diagnostics) {
  const CellAst& ast = cell.ast;
  std::size_t errors_before = diagnostics.error_count();
  DimensionValues values;
  std::vector<std::string> declared;
  for (const NameRef& dimension : ast.dimensions) declared.push_back(dimension.name);

  for (const auto& [name, value] : given) {
    auto declaration = std::find_if(ast.dimensions.begin(), ast.dimensions.end(),
                                    [&](const NameRef& dimension) { return dimension.name == name; });
    if (declaration == ast.dimensions.end()) {
      diagnostics.error(cell_header_span(ast),
                        fmt::format("cell '{}' has no dimension '{}'; it declares <{}>", ast.name, name,
                                    fmt::join(declared, ", ")));
    } else if (values.count(name)) {
      diagnostics.error(declaration->span, fmt::format("dimension '{}' is given a value twice", name));
    } else if (value <= 0) {
      diagnostics.error(declaration->span,
                        fmt::format("dimension '{}' is bound to {}; dimensions must be positive integers", name, value));
    } else if (value > kMaxExtent) {
      diagnostics.error(declaration->span,
                        fmt::format("dimension '{}' is bound to {}, more than the limit {}", name, value, kMaxExtent));
    } else {
      values[name] = value;
    }
  }
  for (const NameRef& dimension : ast.dimensions) {
    bool given_at_all = std::any_of(given.begin(), given.end(), [&](const auto& g) { return g.first == dimension.name; });
    if (!given_at_all) {
      diagnostics.error(dimension.span, fmt::format("dimension '{}' has no value; bind it, e.g. {}=64",
                                                    dimension.name, dimension.name));
    }
  }
  if (diagnostics.error_count() != errors_before) return std::nullopt;

  // Every declared extent, and every parameter's element count, must be
  // addressable with 32-bit indices.
  for (const Declaration& declaration : ast.declarations) {
    std::int64_t elements = 1;
    for (const DimExpr& extent : declaration.shape) {
      std::optional<DimPoly> bound = extent.value.bind(values);
      std::optional<std::int64_t> number = bound ? bound->as_constant() : std::nullopt;
      if (!number || *number > kMaxExtent || (elements *= *number) > kMaxExtent) {
        diagnostics.error(declaration.span,
                          fmt::format("'{}' is too large with {}: more than {} elements", declaration.name,
                                      describe_binding(values), kMaxExtent));
        break;
      }
    }
  }
  for (const DimensionConstraint& constraint : cell.constraints) {
    std::optional<DimPoly> bound = constraint.value.bind(values);
    if (!bound || bound->constant_value() < 0) {
      diagnostics.error(constraint.span, fmt::format("{} (with {})", constraint.message, describe_binding(values)));
    }
  }
  if (diagnostics.error_count() != errors_before) return std::nullopt;
  return values;
}

}  // namespace rnnc
