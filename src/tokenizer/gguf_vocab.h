// Writing a Hugging Face tokenizer into GGUF's tokenizer.ggml.* keys, as llama.cpp's converter
// does for byte-level BPE models (ref: convert_hf_to_gguf.py get_vocab_base / SpecialVocab).
#pragma once

#include <string>

#include "io/gguf.h"

namespace exaone::tokenizer {

// Adds the tokenizer of HF folder `dir` to `w`; returns false when the folder has none.
bool AddGgufVocab(const std::string& dir, const std::string& arch, io::GgufWriter& w);

}  // namespace exaone::tokenizer
