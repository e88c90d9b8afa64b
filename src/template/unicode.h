// Python's str semantics over UTF-8: code point indexing, whitespace, printability and full case
// mapping, from the Unicode database of the Python that generated unicode_data.inc.
//
// Python strings are sequences of code points, so every index, length and slice a template computes
// counts code points, not bytes. Every string the engine holds is valid UTF-8 (templates are
// checked when parsed, JSON by nlohmann), so decoding here never meets a bad sequence.
#pragma once

#include <string>
#include <string_view>

namespace exaone::tmpl {

std::u32string ToU32(std::string_view s);
std::string ToUtf8(std::u32string_view s);
void AppendUtf8(std::string& out, char32_t cp);
size_t CodepointCount(std::string_view s);
bool IsAscii(std::string_view s);

bool IsPySpace(char32_t c);      // str.isspace()
bool IsPyLineBreak(char32_t c);  // a line boundary for str.splitlines()
bool IsPyPrintable(char32_t c);  // str.isprintable(), used by repr()
bool IsPyLower(char32_t c);
bool IsPyUpper(char32_t c);
bool IsPyTitle(char32_t c);
bool IsPyCased(char32_t c);

// Whole-string case operations exactly as CPython's str methods, final sigma included.
std::u32string PyUpper(std::u32string_view s);
std::u32string PyLower(std::u32string_view s);
std::u32string PyTitle(std::u32string_view s);       // str.title()
std::u32string PyCapitalize(std::u32string_view s);  // str.capitalize()
std::u32string PySwapCase(std::u32string_view s);
bool PyIsLower(std::u32string_view s);  // str.islower()
bool PyIsUpper(std::u32string_view s);  // str.isupper()

}  // namespace exaone::tmpl
