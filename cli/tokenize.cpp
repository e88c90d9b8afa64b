// exaone tokenize MODEL [TEXT] [--json] [--decode] [--no-add-special] [--skip-special]
//
// Stable interface: with --json, prints {"ids": [...]} for the exact bytes of TEXT (or stdin).
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "args.h"
#include "base/error.h"
#include "commands.h"
#include "tokenizer/tokenizer.h"

namespace exaone::cli {
namespace {

constexpr const char* kUsage =
    "exaone tokenize MODEL [TEXT] [--json] [--decode] [--no-add-special] [--skip-special]";

std::string ReadStdin() {
  std::string s((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  return s;
}

// A token's bytes shown printably: escapes for control bytes and invalid UTF-8.
std::string Printable(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

int TokenizeCommand(int argc, char** argv) {
  Args args(argc, argv, {"--json", "--decode", "--no-add-special", "--skip-special", "--help"}, {});
  if (args.Flag("--help")) {
    std::printf("usage: %s\n", kUsage);
    return 0;
  }
  args.ExpectPositional(1, 2, kUsage);
  auto tok = tokenizer::Tokenizer::Load(args.positional()[0]);
  const std::string input = args.positional().size() == 2 ? args.positional()[1] : ReadStdin();
  if (args.Flag("--decode")) {
    std::string list = input;
    while (!list.empty() && (list.back() == '\n' || list.back() == ' ')) list.pop_back();
    std::vector<int32_t> ids = list.empty() ? std::vector<int32_t>{} : ParseIdList(list);
    for (size_t i = 0; i < ids.size(); ++i) {
      if (static_cast<size_t>(ids[i]) >= tok->vocab_size() && tok->TokenText(ids[i]).empty()) {
        throw Error(ErrorCode::kInvalidArgument, "id " + std::to_string(ids[i]) + " at index " +
                                                     std::to_string(i) +
                                                     " is outside the vocabulary");
      }
    }
    const std::string text = tok->Decode(ids, args.Flag("--skip-special"));
    if (args.Flag("--json")) {
      std::printf("%s\n", nlohmann::json{{"text", text}}.dump().c_str());
    } else {
      std::fwrite(text.data(), 1, text.size(), stdout);
    }
    return 0;
  }
  const std::vector<int32_t> ids = tok->Encode(input, !args.Flag("--no-add-special"));
  if (args.Flag("--json")) {
    std::printf("%s\n", nlohmann::json{{"ids", ids}}.dump().c_str());
    return 0;
  }
  for (int32_t id : ids) {
    std::printf("%8d  \"%s\"%s\n", id, Printable(tok->TokenBytes(id)).c_str(),
                tok->IsSpecial(id) ? "  (special)" : "");
  }
  std::printf("tokens: %zu, bytes: %zu\n", ids.size(), input.size());
  return 0;
}

}  // namespace exaone::cli
