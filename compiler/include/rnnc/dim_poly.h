// Symbolic dimension expressions such as `4*H` or `H + I`, kept in a canonical
// polynomial form so that shapes can be compared and printed before the
// dimensions are bound to numbers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rnnc {

// The value of each dimension of a bound cell, by name.
using DimensionValues = std::map<std::string, std::int64_t>;

class DimPoly {
 public:
  // A monomial is a sorted list of dimension names (with repeats: H*H).
  using Monomial = std::vector<std::string>;

  DimPoly() = default;
  static DimPoly constant(std::int64_t value);
  static DimPoly dimension(const std::string& name);

  friend DimPoly operator+(const DimPoly& a, const DimPoly& b);
  friend DimPoly operator-(const DimPoly& a, const DimPoly& b);
  friend DimPoly operator*(const DimPoly& a, const DimPoly& b);
  friend bool operator==(const DimPoly& a, const DimPoly& b) { return a.terms_ == b.terms_; }
  friend bool operator<(const DimPoly& a, const DimPoly& b) { return a.terms_ < b.terms_; }

  bool is_constant() const;
  // The value when constant; callers check is_constant() first.
  std::int64_t constant_value() const;
  std::optional<std::int64_t> as_constant() const;

  // True when the value is >= 0 for every binding of the dimensions to
  // positive integers (all coefficients non-negative).
  bool always_nonnegative() const;
  // True when the value is < 0 for every binding of positive integers.
  bool always_negative() const;

  // Substitutes numbers for the named dimensions; returns nullopt on overflow.
  std::optional<DimPoly> bind(const std::map<std::string, std::int64_t>& values) const;

  // The dimension names this polynomial mentions.
  std::vector<std::string> names() const;

  // Human form: `4*H`, `H + I`, `2*H - 1`, `0`.
  std::string to_string() const;

 private:
  void normalize();
  std::map<Monomial, std::int64_t> terms_;  // monomial -> non-zero coefficient
};

}  // namespace rnnc
