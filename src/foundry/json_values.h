// JSON values as JSON Schema compares them (json_validate.cpp): numbers by value (integers
// exactly, past 2^53 and 2^63 too, against doubles as well), multipleOf in exact decimals,
// equality of any values with numbers by value, and a hash consistent with that equality.
#pragma once

#include <compare>
#include <cstdint>

#include "foundry/record.h"

namespace exaone::foundry::jsonval {

// A finite number as mantissa * 10^exponent, from its shortest decimal form (for doubles, the
// digits that read back as the same double: what the JSON text most likely said).
struct Decimal {
  uint64_t mantissa = 0;
  int exponent = 0;
  bool ok = false;
};

bool IsIntegral(double d);
std::partial_ordering CompareNumbers(const Json& a, const Json& b);
Decimal ToDecimal(const Json& v);
bool IsMultiple(const Decimal& value, const Decimal& divisor);
// An object's members, iterated directly: nlohmann's items() view carries strings in each of its
// iterators, which costs stack in the recursive validator.
const Json::object_t& Members(const Json& object);
bool JsonEqual(const Json& a, const Json& b);
uint64_t Mix(uint64_t h, uint64_t x);
// Consistent with JsonEqual; values below `depth` levels are not looked into.
uint64_t HashJson(const Json& v, int depth);

}  // namespace exaone::foundry::jsonval
