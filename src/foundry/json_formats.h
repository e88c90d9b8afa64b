// The string formats JSON Schema validation checks (json_validate.h): date, time and date-time
// (RFC 3339), email (RFC 5321 addresses, with IP literals) and uuid, by hand-written parsers,
// and the ASCII character classes they and the validator share.
#pragma once

#include <cstdint>
#include <string_view>

namespace exaone::foundry::jsonfmt {

inline bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
inline bool IsHex(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

enum class Format : uint8_t { kNone, kDate, kTime, kDateTime, kEmail, kUuid };

// Whether `s` is in format `f` (kNone: always).
bool CheckFormat(Format f, std::string_view s);
const char* FormatName(Format f);

}  // namespace exaone::foundry::jsonfmt
