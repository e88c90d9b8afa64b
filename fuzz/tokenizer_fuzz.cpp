// libFuzzer target: encoding arbitrary bytes (invalid UTF-8 included) and decoding arbitrary ids,
// through tokenizers with added tokens of every flag (gpt2_style) and NFC + a regex split
// (llama3_style). Any input must give ids or an exaone::Error; never a crash.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "base/error.h"
#include "tokenizer/tokenizer.h"

namespace {

using exaone::tokenizer::Tokenizer;

const Tokenizer& Get(int which) {
  static const std::unique_ptr<Tokenizer> toks[2] = {
      Tokenizer::FromTokenizerJson(EXAONE_SOURCE_DIR
                                   "/tests/fixtures/tokenizer/gpt2_style/tokenizer.json"),
      Tokenizer::FromTokenizerJson(EXAONE_SOURCE_DIR
                                   "/tests/fixtures/tokenizer/llama3_style/tokenizer.json")};
  return *toks[which];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Tokenizer& tok = Get(data[0] & 1);
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    std::vector<int32_t> ids = tok.Encode(text, (data[0] & 2) != 0);
    for (int32_t id : ids) {
      if (id < 0) __builtin_trap();
    }
    (void)tok.Decode(ids, (data[0] & 4) != 0);
    // The same bytes read as ids, in and out of range, one by one through the stream decoder.
    std::vector<int32_t> raw((size - 1) / 4);
    std::memcpy(raw.data(), data + 1, raw.size() * 4);
    exaone::tokenizer::StreamDecoder stream(tok, false);
    std::string streamed;
    for (int32_t id : raw) {
      const int32_t safe = static_cast<int32_t>(static_cast<uint32_t>(id) % 4000);
      streamed += stream.Push(safe);
    }
    streamed += stream.Finish();
  } catch (const exaone::Error&) {
  }
  return 0;
}
