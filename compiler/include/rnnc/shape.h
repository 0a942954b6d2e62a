// The shape of a per-sample value: a scalar, a vector [n] or (for parameters
// only) a matrix [rows, cols], with symbolic extents.
#pragma once

#include <string>

#include "rnnc/dim_poly.h"

namespace rnnc {

struct Shape {
  int rank = 0;  // 0 scalar, 1 vector, 2 matrix
  DimPoly rows;  // vector length, or matrix rows
  DimPoly cols;  // matrix columns

  static Shape scalar() { return {}; }
  static Shape vector(DimPoly length) { return {1, std::move(length), {}}; }
  static Shape matrix(DimPoly rows, DimPoly cols) { return {2, std::move(rows), std::move(cols)}; }

  // Scalars and vectors of length 1 broadcast against any vector.
  bool broadcasts() const { return rank == 0 || (rank == 1 && rows == DimPoly::constant(1)); }

  friend bool operator==(const Shape& a, const Shape& b) {
    return a.rank == b.rank && a.rows == b.rows && a.cols == b.cols;
  }

  // `scalar`, `[4*H]`, `[4*H, I]`.
  std::string to_string() const;
};

}  // namespace rnnc
