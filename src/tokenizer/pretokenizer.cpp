#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/pretokenizer.h"

#include <pcre2.h>

#include "base/error.h"

namespace exaone::tokenizer {

const char* const kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const char* const kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

namespace {

// Unicode White_Space, which is what \s means to the Oniguruma engine Hugging Face tokenizers
// uses. PCRE2 10.42 also counts U+180E (a format character since Unicode 6.3), so \s and \S are
// spelled out before compiling.
constexpr const char* kWhiteSpace =
    R"(\t\n\x{0B}\f\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

std::string SpellOutWhitespace(const std::string& pattern) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char n = pattern[i + 1];
      if (n == 's') {
        out += in_class ? std::string(kWhiteSpace) : "[" + std::string(kWhiteSpace) + "]";
      } else if (n == 'S' && !in_class) {
        out += "[^" + std::string(kWhiteSpace) + "]";
      } else if (n == 'S') {
        throw Error(ErrorCode::kUnsupported, "pre-tokenizer regex: \\S inside a class");
      } else {
        out += c;
        out += n;
      }
      ++i;
      continue;
    }
    if (c == '[' && !in_class) {
      in_class = true;
      out += c;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];  // literal ]
      continue;
    }
    if (c == ']' && in_class) in_class = false;
    out += c;
  }
  return out;
}

}  // namespace

class Regex {
 public:
  explicit Regex(const std::string& source) {
    const std::string pattern = SpellOutWhitespace(source);
    int err = 0;
    PCRE2_SIZE offset = 0;
    code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                          PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &err, &offset, nullptr);
    if (!code_) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(err, msg, sizeof msg);
      throw Error(ErrorCode::kBadConfig,
                  "pre-tokenizer regex: " + std::string(reinterpret_cast<char*>(msg)) +
                      " at offset " + std::to_string(offset));
    }
    pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if refused
  }
  ~Regex() { pcre2_code_free(code_); }

  // Finds the next match at or after `start`; returns false when none. Thread-safe: each thread
  // has its own match block (only group 0 is read, so a fixed size fits every pattern).
  bool Find(std::string_view text, size_t start, size_t& begin, size_t& end) const {
    struct MatchData {
      pcre2_match_data* data = pcre2_match_data_create(8, nullptr);
      ~MatchData() { pcre2_match_data_free(data); }
    };
    thread_local MatchData match;
    int rc = pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), start,
                         PCRE2_NO_UTF_CHECK, match.data, nullptr);
    if (rc < 0) {
      if (rc == PCRE2_ERROR_NOMATCH) return false;
      throw Error(ErrorCode::kBadConfig, "pre-tokenizer regex failed (" + std::to_string(rc) + ")");
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(match.data);
    begin = ov[0];
    end = ov[1];
    return true;
  }

 private:
  pcre2_code* code_ = nullptr;
};

SplitStep::SplitStep(const std::string& pattern, bool is_regex, SplitBehavior behavior, bool invert)
    : behavior_(behavior), invert_(invert) {
  if (is_regex) {
    regex_ = std::make_unique<Regex>(pattern);
  } else {
    if (pattern.empty()) throw Error(ErrorCode::kBadConfig, "Split: empty string pattern");
    literal_ = pattern;
  }
}

SplitStep::~SplitStep() = default;
SplitStep::SplitStep(SplitStep&&) noexcept = default;

void SplitStep::Apply(std::string_view text, std::vector<std::string_view>& out) const {
  // Segments of the text, each a match of the pattern or the gap between matches.
  struct Segment {
    size_t begin, end;
    bool delimiter;
  };
  std::vector<Segment> segs;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t b, e;
    bool found;
    if (regex_) {
      found = regex_->Find(text, pos, b, e);
    } else {
      b = text.find(literal_, pos);
      found = b != std::string_view::npos;
      e = found ? b + literal_.size() : 0;
    }
    if (!found) break;
    if (e == b) {  // empty match: skip one character
      if (b >= text.size()) break;
      size_t next = b + 1;
      while (next < text.size() && (static_cast<uint8_t>(text[next]) & 0xc0) == 0x80) ++next;
      pos = next;
      continue;
    }
    if (b > pos) segs.push_back({pos, b, false});
    segs.push_back({b, e, true});
    pos = e;
  }
  if (pos < text.size()) segs.push_back({pos, text.size(), false});
  if (invert_) {
    for (auto& s : segs) s.delimiter = !s.delimiter;
  }
  auto emit = [&](size_t b, size_t e) {
    if (e > b) out.push_back(text.substr(b, e - b));
  };
  switch (behavior_) {
    case SplitBehavior::kIsolated:
      for (const auto& s : segs) emit(s.begin, s.end);
      break;
    case SplitBehavior::kRemoved:
      for (const auto& s : segs) {
        if (!s.delimiter) emit(s.begin, s.end);
      }
      break;
    case SplitBehavior::kMergedWithPrevious: {
      size_t start = 0;
      bool open = false;
      for (const auto& s : segs) {
        if (!open) start = s.begin;
        open = true;
        if (s.delimiter) {
          emit(start, s.end);
          open = false;
        }
      }
      if (open) emit(start, text.size());
      break;
    }
    case SplitBehavior::kMergedWithNext: {
      size_t start = 0;
      bool open = false;
      for (const auto& s : segs) {
        if (s.delimiter) {
          if (open) emit(start, s.begin);
          start = s.begin;
          open = true;
        } else if (!open) {
          start = s.begin;
          open = true;
        }
      }
      if (open) emit(start, text.size());
      break;
    }
    case SplitBehavior::kContiguous: {
      for (size_t i = 0; i < segs.size();) {
        size_t j = i + 1;
        if (segs[i].delimiter) {
          while (j < segs.size() && segs[j].delimiter && segs[j].begin == segs[j - 1].end) ++j;
        }
        emit(segs[i].begin, segs[j - 1].end);
        i = j;
      }
      break;
    }
  }
}

void PreTokenizer::Apply(std::string_view text, std::vector<std::string_view>& pieces,
                         std::deque<std::string>& storage) const {
  pieces.clear();
  if (text.empty()) return;
  pieces.push_back(text);
  std::vector<std::string_view> next;
  for (const Step& step : steps) {
    next.clear();
    for (std::string_view p : pieces) {
      std::string_view src = p;
      if (step.prefix_space && p[0] != ' ') {
        std::string& prefixed = storage.emplace_back(1, ' ');
        prefixed.append(p);
        src = storage.back();
      }
      if (step.split) {
        step.split->Apply(src, next);
      } else {
        next.push_back(src);
      }
    }
    pieces.swap(next);
  }
}

}  // namespace exaone::tokenizer
