#include "rnnc/dim_poly.h"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

namespace rnnc {

namespace {
// Wide enough that the product of two int64 values cannot overflow.
__extension__ using Wide = __int128;
}  // namespace

DimPoly DimPoly::constant(std::int64_t value) {
  DimPoly result;
  result.terms_[{}] = value;
  result.normalize();
  return result;
}

DimPoly DimPoly::dimension(const std::string& name) {
  DimPoly result;
  result.terms_[{name}] = 1;
  return result;
}

void DimPoly::normalize() {
  std::erase_if(terms_, [](const auto& term) { return term.second == 0; });
}

DimPoly operator+(const DimPoly& a, const DimPoly& b) {
  DimPoly result = a;
  for (const auto& [monomial, coefficient] : b.terms_) result.terms_[monomial] += coefficient;
  result.normalize();
  return result;
}

DimPoly operator-(const DimPoly& a, const DimPoly& b) { return a + DimPoly::constant(-1) * b; }

DimPoly operator*(const DimPoly& a, const DimPoly& b) {
  DimPoly result;
  for (const auto& [ma, ca] : a.terms_) {
    for (const auto& [mb, cb] : b.terms_) {
      DimPoly::Monomial product = ma;
      product.insert(product.end(), mb.begin(), mb.end());
      std::sort(product.begin(), product.end());
      result.terms_[product] += ca * cb;
    }
  }
  result.normalize();
  return result;
}

bool DimPoly::is_constant() const {
  return terms_.empty() || (terms_.size() == 1 && terms_.begin()->first.empty());
}

std::int64_t DimPoly::constant_value() const { return terms_.empty() ? 0 : terms_.begin()->second; }

std::optional<std::int64_t> DimPoly::as_constant() const {
  if (!is_constant()) return std::nullopt;
  return constant_value();
}

bool DimPoly::always_nonnegative() const {
  return std::all_of(terms_.begin(), terms_.end(), [](const auto& term) { return term.second > 0; });
}

bool DimPoly::always_negative() const {
  return !terms_.empty() &&
         std::all_of(terms_.begin(), terms_.end(), [](const auto& term) { return term.second < 0; });
}

std::optional<DimPoly> DimPoly::bind(const std::map<std::string, std::int64_t>& values) const {
  // Dimensions are bounded well below 2^31 by the binder, so a monomial of a
  // few factors cannot overflow; the checks guard against pathological ones.
  DimPoly result;
  for (const auto& [monomial, coefficient] : terms_) {
    Wide product = coefficient;
    Monomial remaining;
    for (const std::string& name : monomial) {
      auto value = values.find(name);
      if (value == values.end()) {
        remaining.push_back(name);
        continue;
      }
      product *= value->second;
      if (product > INT64_MAX || product < INT64_MIN) return std::nullopt;
    }
    Wide sum = Wide(result.terms_[remaining]) + product;
    if (sum > INT64_MAX || sum < INT64_MIN) return std::nullopt;
    result.terms_[remaining] = std::int64_t(sum);
  }
  result.normalize();
  return result;
}

std::vector<std::string> DimPoly::names() const {
  std::vector<std::string> result;
  for (const auto& [monomial, coefficient] : terms_) {
    for (const std::string& name : monomial) {
      if (std::find(result.begin(), result.end(), name) == result.end()) result.push_back(name);
    }
  }
  return result;
}

std::string DimPoly::to_string() const {
  if (terms_.empty()) return "0";
  // Highest degree first, constant last: `4*H + 1`.
  std::vector<std::pair<Monomial, std::int64_t>> ordered(terms_.begin(), terms_.end());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  std::string result;
  for (const auto& [monomial, coefficient] : ordered) {
    std::int64_t magnitude = std::llabs(coefficient);
    if (result.empty()) {
      if (coefficient < 0) result += "-";
    } else {
      result += coefficient < 0 ? " - " : " + ";
    }
    std::string factors;
    for (const std::string& name : monomial) factors += (factors.empty() ? "" : "*") + name;
    if (factors.empty()) {
      result += std::to_string(magnitude);
    } else if (magnitude == 1) {
      result += factors;
    } else {
      result += fmt::format("{}*{}", magnitude, factors);
    }
  }
  return result;
}

}  // namespace rnnc
