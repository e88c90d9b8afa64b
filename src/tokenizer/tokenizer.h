// A Hugging Face compatible byte-level BPE tokenizer: added tokens are split out first
// (leftmost-longest), the rest is normalised, pre-tokenized and BPE-encoded; decoding maps bytes
// back. Loaded from tokenizer.json, from vocab.json + merges.txt + tokenizer_config.json, or
// from GGUF tokenizer.ggml.* metadata.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/gguf.h"
#include "io/json.h"
#include "tokenizer/bpe.h"
#include "tokenizer/pretokenizer.h"

namespace exaone::tokenizer {

struct AddedTokenSpec {
  int32_t id = 0;
  std::string content;
  bool special = false;
  bool lstrip = false, rstrip = false, single_word = false, normalized = false;
};

class Tokenizer {
 public:
  // Loads the tokenizer of a model: a GGUF file or an HF folder (tokenizer.json preferred,
  // else vocab.json + merges.txt). Throws Error naming the file on bad content.
  static std::unique_ptr<Tokenizer> Load(const std::string& model_path);
  static std::unique_ptr<Tokenizer> FromTokenizerJson(const std::string& path,
                                                      const std::string& config_path = "");
  static std::unique_ptr<Tokenizer> FromVocabMerges(const std::string& dir);
  static std::unique_ptr<Tokenizer> FromGguf(const io::GgufContents& g, const std::string& what);

  // Encodes UTF-8 text (ill-formed sequences are replaced by U+FFFD first). With
  // `add_special_tokens`, the post-processor's BOS/EOS are added, as HF's encode() does.
  std::vector<int32_t> Encode(std::string_view text, bool add_special_tokens = true) const;
  // Decodes ids to text; with `skip_special_tokens` special added tokens are left out.
  std::string Decode(const std::vector<int32_t>& ids, bool skip_special_tokens = false) const;
  // The raw bytes one id stands for (may be part of a UTF-8 character).
  std::string TokenBytes(int32_t id) const;
  std::string TokenText(int32_t id) const;  // as stored in the vocabulary
  bool IsSpecial(int32_t id) const;
  size_t vocab_size() const { return bpe_->size(); }
  std::optional<int32_t> TokenId(std::string_view token) const;

  std::optional<int32_t> bos_id, eos_id, pad_id, unk_id;
  std::string chat_template;
  // The special-token strings templates receive (bos_token, eos_token, ...).
  std::string bos_token, eos_token, pad_token, unk_token;

 private:
  Tokenizer() = default;
  void SetAddedTokens(std::vector<AddedTokenSpec> added);
  void EncodeChunk(std::string_view text, std::vector<int32_t>& ids) const;

  std::unique_ptr<Bpe> bpe_;
  PreTokenizer pre_;
  bool nfc_ = false;
  std::vector<AddedTokenSpec> added_;             // sorted by content length, longest first
  std::vector<int32_t> special_ids_;              // sorted
  std::vector<int32_t> prefix_ids_, suffix_ids_;  // post-processor: single sequence template
  // Added-token matching: for each first byte, the added tokens that start with it.
  std::vector<std::vector<uint32_t>> by_first_byte_;
  std::vector<int32_t> added_index_;  // id -> index into added_, -1 if not added
};

// Decodes a stream of ids into text, emitting only whole UTF-8 characters.
class StreamDecoder {
 public:
  StreamDecoder(const Tokenizer& tok, bool skip_special) : tok_(tok), skip_special_(skip_special) {}
  // Returns the text that became complete with `id` (possibly empty).
  std::string Push(int32_t id);
  // Returns what is left at the end (an incomplete character becomes U+FFFD).
  std::string Finish();

 private:
  const Tokenizer& tok_;
  bool skip_special_;
  std::string pending_;
};

}  // namespace exaone::tokenizer
