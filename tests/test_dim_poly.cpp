#include <catch2/catch.hpp>

#include "rnnc/dim_poly.h"

using rnnc::DimPoly;

TEST_CASE("dimension polynomials print in canonical form", "[dims]") {
  DimPoly H = DimPoly::dimension("H"), I = DimPoly::dimension("I");
  CHECK((DimPoly::constant(4) * H).to_string() == "4*H");
  CHECK((H + I).to_string() == "H + I");
  CHECK((I + H).to_string() == "H + I");
  CHECK((DimPoly::constant(2) * H - DimPoly::constant(1)).to_string() == "2*H - 1");
  CHECK((H - H).to_string() == "0");
  CHECK((H * I * DimPoly::constant(3)).to_string() == "3*H*I");
  CHECK((DimPoly::constant(0) - H).to_string() == "-H");
}

TEST_CASE("dimension polynomials compare symbolically", "[dims]") {
  DimPoly H = DimPoly::dimension("H");
  CHECK(DimPoly::constant(4) * H - DimPoly::constant(3) * H == H);
  CHECK_FALSE(H == DimPoly::dimension("I"));
  CHECK((DimPoly::constant(4) * H - H).always_nonnegative());
  CHECK((H - DimPoly::constant(1)).always_nonnegative() == false);
  CHECK((DimPoly::constant(-1) * H).always_negative());
}

TEST_CASE("dimension polynomials bind to numbers", "[dims]") {
  DimPoly poly = DimPoly::constant(4) * DimPoly::dimension("H") + DimPoly::dimension("I");
  auto bound = poly.bind({{"H", 5}, {"I", 3}});
  REQUIRE(bound);
  CHECK(bound->as_constant() == 23);
  auto partial = poly.bind({{"H", 5}});
  REQUIRE(partial);
  CHECK(partial->to_string() == "I + 20");
  CHECK_FALSE(poly.bind({{"H", INT64_MAX}, {"I", 1}}).has_value());
}
