// The vocabulary of a Hugging Face tokenizer folder, read from tokenizer.json, or from
// vocab.json + merges.txt + tokenizer_config.json as EXAONE ships them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace exaone::tokenizer {

struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool special = false;
};

struct HfVocab {
  std::vector<std::string> tokens;  // by id; empty string for ids the files leave unassigned
  std::vector<bool> assigned;
  std::vector<std::string> merges;  // "a b"
  std::vector<AddedToken> added;
  std::optional<int32_t> bos, eos, pad, unk;
  bool add_bos = false, add_eos = false;
  std::string chat_template;  // empty when none
};

// Reads the tokenizer files of `dir`; nullopt when the folder has none. `vocab_size` (from
// config.json, 0 if unknown) sets the table size. Throws Error naming the file on bad content.
std::optional<HfVocab> ReadHfVocab(const std::string& dir, int64_t vocab_size);

}  // namespace exaone::tokenizer
