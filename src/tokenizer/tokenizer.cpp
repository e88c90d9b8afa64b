#include "tokenizer/tokenizer.h"

#include <algorithm>

#include "base/error.h"
#include "tokenizer/text.h"

namespace exaone::tokenizer {
namespace {

// Rust's char::is_whitespace (Unicode White_Space), used by lstrip / rstrip.
bool IsWhiteSpace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
         cp == 0x205f || cp == 0x3000;
}

// A word character for single_word: alphanumeric or underscore (ref: tokenizers
// added_vocabulary.rs ends_with_word / starts_with_word use char::is_alphanumeric || '_').
bool IsWordByte(std::string_view s, size_t i) {
  const auto c = static_cast<uint8_t>(s[i]);
  if (c < 0x80) return std::isalnum(c) || c == '_';
  return true;  // non-ASCII letters and digits; rare punctuation is treated as word too
}

uint32_t CodePointBefore(std::string_view s, size_t end, size_t& start) {
  size_t i = end;
  do {
    --i;
  } while (i > 0 && (static_cast<uint8_t>(s[i]) & 0xc0) == 0x80);
  start = i;
  size_t j = i;
  return NextCodePoint(s, j);
}

}  // namespace

void Tokenizer::SetAddedTokens(std::vector<AddedTokenSpec> added) {
  std::stable_sort(added.begin(), added.end(), [](const auto& a, const auto& b) {
    return a.content.size() > b.content.size();
  });
  added_ = std::move(added);
  by_first_byte_.assign(256, {});
  special_ids_.clear();
  int32_t max_id = static_cast<int32_t>(bpe_->size()) - 1;
  for (const auto& a : added_) max_id = std::max(max_id, a.id);
  added_index_.assign(static_cast<size_t>(max_id) + 1, -1);
  for (uint32_t i = 0; i < added_.size(); ++i) {
    const auto& a = added_[i];
    if (a.content.empty()) continue;
    by_first_byte_[static_cast<uint8_t>(a.content[0])].push_back(i);
    added_index_[a.id] = static_cast<int32_t>(i);
    if (a.special) special_ids_.push_back(a.id);
  }
  std::sort(special_ids_.begin(), special_ids_.end());
}

std::optional<int32_t> Tokenizer::TokenId(std::string_view token) const {
  for (const auto& a : added_) {
    if (a.content == token) return a.id;
  }
  int32_t id = bpe_->TokenId(token);
  if (id >= 0) return id;
  return std::nullopt;
}

bool Tokenizer::IsSpecial(int32_t id) const {
  return std::binary_search(special_ids_.begin(), special_ids_.end(), id);
}

std::vector<int32_t> Tokenizer::Encode(std::string_view raw, bool add_special_tokens) const {
  const std::string repaired = RepairUtf8(raw);
  const std::string_view text = repaired;
  std::vector<int32_t> ids;
  if (add_special_tokens) ids = prefix_ids_;
  // Added tokens first, leftmost-longest (ref: tokenizers added_vocabulary.rs); the text
  // between them goes through normalisation, pre-tokenization and BPE.
  size_t chunk_start = 0;
  size_t i = 0;
  while (i < text.size()) {
    const auto& candidates = by_first_byte_[static_cast<uint8_t>(text[i])];
    const AddedTokenSpec* hit = nullptr;
    for (uint32_t k : candidates) {  // longest first
      if (text.compare(i, added_[k].content.size(), added_[k].content) == 0) {
        hit = &added_[k];
        break;
      }
    }
    if (!hit) {
      ++i;
      continue;
    }
    if (hit->single_word) {
      // A single_word token inside a word is not a match; its text stays ordinary text.
      const size_t end = i + hit->content.size();
      if ((i > 0 && IsWordByte(text, i - 1)) || (end < text.size() && IsWordByte(text, end))) {
        i = end;
        continue;
      }
    }
    size_t start = i, stop = i + hit->content.size();
    if (hit->lstrip) {
      while (start > chunk_start) {
        size_t prev;
        if (!IsWhiteSpace(CodePointBefore(text, start, prev))) break;
        start = prev;
      }
    }
    if (hit->rstrip) {
      while (stop < text.size()) {
        size_t next = stop;
        if (!IsWhiteSpace(NextCodePoint(text, next))) break;
        stop = next;
      }
    }
    EncodeChunk(text.substr(chunk_start, start - chunk_start), ids);
    ids.push_back(hit->id);
    chunk_start = i = stop;
  }
  EncodeChunk(text.substr(chunk_start), ids);
  if (add_special_tokens) ids.insert(ids.end(), suffix_ids_.begin(), suffix_ids_.end());
  return ids;
}

void Tokenizer::EncodeChunk(std::string_view chunk, std::vector<int32_t>& ids) const {
  if (chunk.empty()) return;
  std::string normalized;
  if (nfc_) {
    normalized = Nfc(chunk);
    chunk = normalized;
  }
  std::vector<std::string_view> pieces;
  std::deque<std::string> storage;
  pre_.Apply(chunk, pieces, storage);
  std::string mapped;
  for (std::string_view p : pieces) {
    if (pre_.byte_level) {
      mapped.clear();
      ByteMap::Get().EncodeTo(p, mapped);
      bpe_->Encode(mapped, ids);
    } else {
      bpe_->Encode(p, ids);
    }
  }
}

std::string Tokenizer::TokenText(int32_t id) const {
  if (id >= 0 && static_cast<size_t>(id) < added_index_.size() && added_index_[id] >= 0) {
    return added_[added_index_[id]].content;
  }
  if (id < 0 || static_cast<size_t>(id) >= bpe_->size()) return "";
  return bpe_->Token(id);
}

// ref: tokenizers decoders/byte_level.rs: map every character back to its byte; a token with a
// character outside the table is taken as its raw UTF-8.
std::string Tokenizer::TokenBytes(int32_t id) const {
  const std::string text = TokenText(id);
  if (!pre_.byte_level) return text;
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const int b = ByteMap::Get().Decode(NextCodePoint(text, i));
    if (b < 0) return text;
    out.push_back(static_cast<char>(b));
  }
  return out;
}

std::string Tokenizer::Decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::string bytes;
  for (int32_t id : ids) {
    if (skip_special_tokens && IsSpecial(id)) continue;
    bytes += TokenBytes(id);
  }
  return RepairUtf8(bytes);
}

std::string StreamDecoder::Push(int32_t id) {
  if (skip_special_ && tok_.IsSpecial(id)) return "";
  pending_ += tok_.TokenBytes(id);
  // Emit everything up to the last character that is complete.
  size_t end = pending_.size();
  size_t i = pending_.size();
  size_t back = 0;
  while (i > 0 && back < 4) {
    --i;
    ++back;
    const auto c = static_cast<uint8_t>(pending_[i]);
    if ((c & 0xc0) == 0x80) continue;  // continuation byte
    const size_t need = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    if (need > back) end = i;  // an incomplete lead: hold it back
    break;
  }
  std::string out = RepairUtf8(std::string_view(pending_).substr(0, end));
  pending_.erase(0, end);
  return out;
}

std::string StreamDecoder::Finish() {
  std::string out = RepairUtf8(pending_);
  pending_.clear();
  return out;
}

}  // namespace exaone::tokenizer
