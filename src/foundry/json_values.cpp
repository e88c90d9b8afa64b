#include "foundry/json_values.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace exaone::foundry::jsonval {

using Int128 = __int128;

// ---- numbers -------------------------------------------------------------------------------

// The value of an integer-typed JSON number.
Int128 IntOf(const Json& v) {
  if (v.is_number_unsigned()) return static_cast<Int128>(v.get<uint64_t>());
  return static_cast<Int128>(v.get<int64_t>());
}

bool IsIntegral(double d) {
  return std::isfinite(d) && d == std::trunc(d);
}

// A number that is an integer in [-2^63, 2^64) as Int128 (doubles with zero fraction included).
bool IntegerValue(const Json& v, Int128& out) {
  if (v.is_number_integer()) {  // signed or unsigned
    out = IntOf(v);
    return true;
  }
  const double d = v.get<double>();
  if (!IsIntegral(d) || d >= 0x1p64 || d < -0x1p63) return false;
  out = static_cast<Int128>(d);
  return true;
}

std::partial_ordering CompareIntDouble(Int128 i, double d) {
  if (std::isnan(d)) return std::partial_ordering::unordered;
  if (d >= 0x1p64) return std::partial_ordering::less;
  if (d < -0x1p63) return std::partial_ordering::greater;
  const double t = std::trunc(d);  // exact, and within Int128
  const auto ti = static_cast<Int128>(t);
  if (i != ti) return i < ti ? std::partial_ordering::less : std::partial_ordering::greater;
  const double frac = d - t;  // exact
  if (frac > 0) return std::partial_ordering::less;
  if (frac < 0) return std::partial_ordering::greater;
  return std::partial_ordering::equivalent;
}

// Exact comparison of two JSON numbers by value (integers beyond 2^53 included).
std::partial_ordering CompareNumbers(const Json& a, const Json& b) {
  const bool ai = a.is_number_integer(), bi = b.is_number_integer();
  if (ai && bi) {
    const Int128 x = IntOf(a), y = IntOf(b);
    return x < y   ? std::partial_ordering::less
           : x > y ? std::partial_ordering::greater
                   : std::partial_ordering::equivalent;
  }
  if (ai) return CompareIntDouble(IntOf(a), b.get<double>());
  if (bi) return 0 <=> CompareIntDouble(IntOf(b), a.get<double>());
  return a.get<double>() <=> b.get<double>();
}

Decimal ToDecimal(const Json& v) {
  Decimal out;
  if (v.is_number_integer()) {
    const Int128 i = IntOf(v);
    out.mantissa = static_cast<uint64_t>(i < 0 ? -i : i);
    out.ok = true;
    return out;
  }
  const double d = std::fabs(v.get<double>());
  if (!std::isfinite(d)) return out;
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  if (r.ec != std::errc()) return out;
  int digits = 0;
  const char* p = buf;
  for (; p < r.ptr && *p != 'e'; ++p) {
    if (*p >= '0' && *p <= '9') {
      out.mantissa = out.mantissa * 10 + static_cast<uint64_t>(*p - '0');
      ++digits;
    }
  }
  int exp10 = 0;
  if (p < r.ptr) std::from_chars(p + 1 + (p[1] == '+'), r.ptr, exp10);
  out.exponent = exp10 - (digits - 1);
  out.ok = digits <= 19;
  return out;
}

using UInt128 = unsigned __int128;

// Whether `value` is an integer multiple of `divisor` (divisor > 0), in exact decimal arithmetic.
bool IsMultiple(const Decimal& value, const Decimal& divisor) {
  if (!value.ok || !divisor.ok || divisor.mantissa == 0) return false;
  if (value.mantissa == 0) return true;
  if (divisor.exponent <= value.exponent) {
    // value = v * 10^k * 10^e, divisor = m * 10^e: is v * 10^k divisible by m?
    const uint64_t m = divisor.mantissa;
    UInt128 rem = value.mantissa % m, base = 10 % m;
    for (int k = value.exponent - divisor.exponent; k > 0; k >>= 1) {
      if (k & 1) rem = rem * base % m;
      base = base * base % m;
    }
    return rem == 0;
  }
  // value = v * 10^e, divisor = m * 10^k * 10^e with k > 0: m * 10^k must divide v < 2^64.
  const int k = divisor.exponent - value.exponent;
  if (k > 19) return false;
  UInt128 m = divisor.mantissa;
  for (int i = 0; i < k; ++i) m *= 10;
  return value.mantissa % m == 0;
}

// ---- JSON equality and hashing (numbers by value) ------------------------------------------

bool ScalarEqual(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return CompareNumbers(a, b) == 0;
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Json::value_t::null:
      return true;
    case Json::value_t::boolean:
      return a.get<bool>() == b.get<bool>();
    case Json::value_t::string:
      return a.get_ref<const std::string&>() == b.get_ref<const std::string&>();
    default:
      return a == b;  // binary, discarded
  }
}

using Member = std::pair<const std::string, Json>;

// An object's members, iterated directly: nlohmann's items() view carries strings in each of its
// iterators, which costs stack in the recursive functions below.
const Json::object_t& Members(const Json& object) {
  return object.get_ref<const Json::object_t&>();
}

std::vector<const Member*> SortedMembers(const Json& object) {
  std::vector<const Member*> out;
  out.reserve(object.size());
  for (const Member& m : Members(object)) out.push_back(&m);
  std::sort(out.begin(), out.end(),
            [](const Member* x, const Member* y) { return x->first < y->first; });
  return out;
}

// JSON equality with numbers compared by value, iterative so that deep values cannot exhaust the
// stack. Objects compare regardless of member order.
bool JsonEqual(const Json& a, const Json& b) {
  const bool a_container = a.is_array() || a.is_object();
  if (!a_container) return ScalarEqual(a, b);
  std::vector<std::pair<const Json*, const Json*>> todo = {{&a, &b}};
  while (!todo.empty()) {
    const auto [x, y] = todo.back();
    todo.pop_back();
    if (x->is_array()) {
      if (!y->is_array() || x->size() != y->size()) return false;
      for (size_t i = 0; i < x->size(); ++i) todo.emplace_back(&(*x)[i], &(*y)[i]);
    } else if (x->is_object()) {
      if (!y->is_object() || x->size() != y->size()) return false;
      if (x->size() <= 16) {
        for (const auto& [key, value] : Members(*x)) {
          const auto it = y->find(key);
          if (it == y->end()) return false;
          todo.emplace_back(&value, &*it);
        }
      } else {
        const auto xs = SortedMembers(*x), ys = SortedMembers(*y);
        for (size_t i = 0; i < xs.size(); ++i) {
          if (xs[i]->first != ys[i]->first) return false;
          todo.emplace_back(&xs[i]->second, &ys[i]->second);
        }
      }
    } else if (!ScalarEqual(*x, *y)) {
      return false;
    }
  }
  return true;
}

uint64_t Mix(uint64_t h, uint64_t x) {
  h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 33);
}

// A hash consistent with JsonEqual: equal values hash equal. Below kHashDepth, containers
// contribute only their kind, which keeps the recursion bounded.
uint64_t HashJson(const Json& v, int depth) {
  switch (v.type()) {
    case Json::value_t::null:
      return 1;
    case Json::value_t::boolean:
      return 2 + v.get<bool>();
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: {
      Int128 i;
      if (IntegerValue(v, i)) {
        const auto u = static_cast<UInt128>(i);
        return Mix(Mix(3, static_cast<uint64_t>(u)), static_cast<uint64_t>(u >> 64));
      }
      uint64_t bits;
      const double d = v.get<double>();
      std::memcpy(&bits, &d, sizeof(bits));
      return Mix(4, bits);
    }
    case Json::value_t::string:
      return Mix(5, std::hash<std::string_view>()(v.get_ref<const std::string&>()));
    case Json::value_t::array: {
      uint64_t h = Mix(6, v.size());
      if (depth <= 0) return h;
      for (const Json& item : v) h = Mix(h, HashJson(item, depth - 1));
      return h;
    }
    case Json::value_t::object: {
      uint64_t sum = 0;  // order-independent
      if (depth > 0) {
        for (const auto& [key, value] : Members(v)) {
          sum += Mix(std::hash<std::string_view>()(key), HashJson(value, depth - 1));
        }
      }
      return Mix(Mix(7, v.size()), sum);
    }
    default:
      return 8;
  }
}

}  // namespace exaone::foundry::jsonval
