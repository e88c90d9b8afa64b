// Text helpers for tokenization: UTF-8 repair, the GPT-2 byte <-> unicode table, NFC.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace exaone::tokenizer {

// Replaces each ill-formed UTF-8 subsequence with U+FFFD the way Python's
// bytes.decode("utf-8", "replace") and Rust's from_utf8_lossy do (maximal subparts).
std::string RepairUtf8(std::string_view s);

// Byte-level BPE maps every byte to a printable code point (ref: GPT-2 bytes_to_unicode).
class ByteMap {
 public:
  static const ByteMap& Get();
  const std::string& Encode(uint8_t byte) const { return to_text_[byte]; }  // UTF-8 of the char
  // Appends the byte-level form of `raw` to `out`.
  void EncodeTo(std::string_view raw, std::string& out) const;
  // Maps a code point back to its byte; -1 when the code point is not in the table.
  int Decode(uint32_t cp) const { return cp < from_cp_.size() ? from_cp_[cp] : -1; }

 private:
  ByteMap();
  std::array<std::string, 256> to_text_;
  std::array<int16_t, 324> from_cp_;
};

// Decodes one code point from valid UTF-8 at s[i], advancing i.
uint32_t NextCodePoint(std::string_view s, size_t& i);
void AppendUtf8(uint32_t cp, std::string& out);

// Unicode NFC normalisation (ICU).
std::string Nfc(std::string_view s);

}  // namespace exaone::tokenizer
