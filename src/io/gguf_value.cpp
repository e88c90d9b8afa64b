#include <bit>
#include <cstdio>

#include "base/error.h"
#include "io/gguf.h"

namespace exaone::io {

const char* GgufTypeName(GgufType t) {
  switch (t) {
    case GgufType::kU8:
      return "u8";
    case GgufType::kI8:
      return "i8";
    case GgufType::kU16:
      return "u16";
    case GgufType::kI16:
      return "i16";
    case GgufType::kU32:
      return "u32";
    case GgufType::kI32:
      return "i32";
    case GgufType::kF32:
      return "f32";
    case GgufType::kBool:
      return "bool";
    case GgufType::kString:
      return "string";
    case GgufType::kArray:
      return "array";
    case GgufType::kU64:
      return "u64";
    case GgufType::kI64:
      return "i64";
    case GgufType::kF64:
      return "f64";
  }
  return "?";
}

GgufValue GgufValue::U32(uint32_t v) {
  GgufValue g;
  g.type = GgufType::kU32;
  g.u = v;
  return g;
}
GgufValue GgufValue::U64(uint64_t v) {
  GgufValue g;
  g.type = GgufType::kU64;
  g.u = v;
  return g;
}
GgufValue GgufValue::I32(int32_t v) {
  GgufValue g;
  g.type = GgufType::kI32;
  g.i = v;
  return g;
}
GgufValue GgufValue::F32(float v) {
  GgufValue g;
  g.type = GgufType::kF32;
  g.f = v;
  return g;
}
GgufValue GgufValue::Bool(bool v) {
  GgufValue g;
  g.type = GgufType::kBool;
  g.u = v ? 1 : 0;
  return g;
}
GgufValue GgufValue::String(std::string v) {
  GgufValue g;
  g.type = GgufType::kString;
  g.str = std::move(v);
  return g;
}
GgufValue GgufValue::Array(GgufType elem, std::vector<GgufValue> items) {
  GgufValue g;
  g.type = GgufType::kArray;
  g.elem_type = elem;
  for (GgufValue& item : items) g.Append(std::move(item));
  return g;
}

namespace {

bool IsSigned(GgufType t) {
  return t == GgufType::kI8 || t == GgufType::kI16 || t == GgufType::kI32 || t == GgufType::kI64;
}

}  // namespace

size_t GgufValue::ArraySize() const {
  if (type != GgufType::kArray) return 0;
  if (elem_type == GgufType::kString) return strings.size();
  if (elem_type == GgufType::kArray) return nested.size();
  return words.size();
}

GgufValue GgufValue::Item(size_t k) const {
  EXA_CHECK(type == GgufType::kArray && k < ArraySize());
  if (elem_type == GgufType::kString) return String(strings[k]);
  if (elem_type == GgufType::kArray) return nested[k];
  GgufValue g;
  g.type = elem_type;
  const uint64_t w = words[k];
  if (IsSigned(elem_type)) {
    g.i = std::bit_cast<int64_t>(w);
  } else if (elem_type == GgufType::kF32 || elem_type == GgufType::kF64) {
    g.f = std::bit_cast<double>(w);
  } else {
    g.u = w;
  }
  return g;
}

void GgufValue::Append(GgufValue item) {
  EXA_CHECK(type == GgufType::kArray && item.type == elem_type);
  if (elem_type == GgufType::kString) {
    strings.push_back(std::move(item.str));
  } else if (elem_type == GgufType::kArray) {
    nested.push_back(std::move(item));
  } else if (IsSigned(elem_type)) {
    words.push_back(std::bit_cast<uint64_t>(item.i));
  } else if (elem_type == GgufType::kF32 || elem_type == GgufType::kF64) {
    words.push_back(std::bit_cast<uint64_t>(item.f));
  } else {
    words.push_back(item.u);
  }
}

bool GgufValue::IsInteger() const {
  switch (type) {
    case GgufType::kU8:
    case GgufType::kI8:
    case GgufType::kU16:
    case GgufType::kI16:
    case GgufType::kU32:
    case GgufType::kI32:
    case GgufType::kU64:
    case GgufType::kI64:
      return true;
    default:
      return false;
  }
}

std::optional<int64_t> GgufValue::AsInt() const {
  if (!IsInteger()) return std::nullopt;
  switch (type) {
    case GgufType::kI8:
    case GgufType::kI16:
    case GgufType::kI32:
    case GgufType::kI64:
      return i;
    default:
      if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
      return static_cast<int64_t>(u);
  }
}

std::optional<double> GgufValue::AsNumber() const {
  if (IsFloat()) return f;
  if (auto v = AsInt()) return static_cast<double>(*v);
  return std::nullopt;
}

std::string GgufValue::ToString(size_t max_items) const {
  char buf[64];
  switch (type) {
    case GgufType::kBool:
      return u ? "true" : "false";
    case GgufType::kString: {
      std::string s = str.size() > 60 ? str.substr(0, 57) + "..." : str;
      std::string out = "\"";
      for (char c : s) {
        if (c == '\n') {
          out += "\\n";
        } else if (c == '"') {
          out += "\\\"";
        } else {
          out += c;
        }
      }
      return out + "\"";
    }
    case GgufType::kF32:
    case GgufType::kF64:
      std::snprintf(buf, sizeof buf, "%g", f);
      return buf;
    case GgufType::kArray: {
      const size_t n = ArraySize();
      std::string out = std::string(GgufTypeName(elem_type)) + "[" + std::to_string(n) + "] {";
      for (size_t k = 0; k < n && k < max_items; ++k) {
        out += (k ? ", " : "") + Item(k).ToString(max_items);
      }
      if (n > max_items) out += ", ...";
      return out + "}";
    }
    default:
      if (auto v = AsInt()) return std::to_string(*v);
      return std::to_string(u);
  }
}

}  // namespace exaone::io
