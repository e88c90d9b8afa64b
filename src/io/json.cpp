#include "io/json.h"

#include <cmath>
#include <unordered_set>

#include "base/error.h"
#include "base/mapped_file.h"

namespace exaone::io {

Json ParseJsonStrict(std::string_view text, const std::string& what) {
  // One set of keys per open object; a repeated key is an error rather than a silent overwrite.
  std::vector<std::unordered_set<std::string>> keys;
  std::string duplicate;
  auto callback = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        keys.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!keys.empty() && !keys.back().insert(parsed.get<std::string>()).second &&
            duplicate.empty()) {
          duplicate = parsed.get<std::string>();
        }
        break;
      default:
        break;
    }
    return true;
  };
  Json j;
  try {
    j = Json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/true);
  } catch (const Json::parse_error& e) {
    throw Error(ErrorCode::kBadConfig,
                what + ": invalid JSON at byte " + std::to_string(e.byte) + ": " +
                    std::string(e.what()).substr(std::string(e.what()).find(':') + 2));
  } catch (const Json::exception& e) {
    // The parser also throws out_of_range (406) for a number too large for a double, e.g. 1e999.
    std::string msg = e.what();
    size_t end = msg.find("] ");
    throw Error(ErrorCode::kBadConfig,
                what + ": invalid JSON: " + (end == std::string::npos ? msg : msg.substr(end + 2)));
  }
  if (!duplicate.empty()) {
    throw Error(ErrorCode::kBadConfig, what + ": duplicate key \"" + duplicate + "\"");
  }
  return j;
}

Json ReadJsonFile(const std::string& path) {
  return ParseJsonStrict(ReadTextFile(path), path);
}

namespace {

// SAX handler accepting exactly one object whose values are integers.
class StringIntSax : public nlohmann::json_sax<Json> {
 public:
  explicit StringIntSax(std::vector<std::pair<std::string, int64_t>>& out) : out_(out) {}
  std::string error;

  bool null() override { return Bad("null"); }
  bool boolean(bool) override { return Bad("a boolean"); }
  bool number_integer(number_integer_t v) override { return Value(v); }
  bool number_unsigned(number_unsigned_t v) override {
    if (v > static_cast<number_unsigned_t>(INT64_MAX)) return Bad("an integer out of range");
    return Value(static_cast<int64_t>(v));
  }
  bool number_float(number_float_t, const string_t&) override { return Bad("a number"); }
  bool string(string_t&) override { return Bad("a string"); }
  bool binary(binary_t&) override { return Bad("binary"); }
  bool start_object(std::size_t) override {
    if (depth_++ != 0) return Bad("an object");
    return true;
  }
  bool key(string_t& k) override {
    if (!seen_.insert(k).second) {
      error = "duplicate key \"" + k + "\"";
      return false;
    }
    key_ = k;
    return true;
  }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return Bad("an array"); }
  bool end_array() override { return true; }
  bool parse_error(std::size_t pos, const std::string&,
                   const nlohmann::detail::exception& e) override {
    std::string msg = e.what();
    error = "invalid JSON at byte " + std::to_string(pos) + ": " + msg.substr(msg.find(':') + 2);
    return false;
  }

 private:
  bool Value(int64_t v) {
    if (depth_ != 1) return Bad("a number outside the object");
    out_.emplace_back(std::move(key_), v);
    return true;
  }
  bool Bad(const char* what) {
    error = depth_ == 0 ? std::string("expected an object, found ") + what
                        : "$." + key_ + ": expected an integer, found " + what;
    return false;
  }
  std::vector<std::pair<std::string, int64_t>>& out_;
  std::unordered_set<std::string> seen_;
  std::string key_;
  int depth_ = 0;
};

}  // namespace

std::vector<std::pair<std::string, int64_t>> ReadStringIntObject(const std::string& path) {
  const std::string text = ReadTextFile(path);
  std::vector<std::pair<std::string, int64_t>> out;
  StringIntSax sax(out);
  bool ok = false;
  try {
    ok = Json::sax_parse(text, &sax);
  } catch (const Json::exception& e) {
    sax.error = e.what();
  }
  if (!ok) throw Error(ErrorCode::kBadConfig, path + ": " + sax.error);
  return out;
}

const char* JsonTypeName(nlohmann::detail::value_t t) {
  switch (t) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "an integer";
    case Json::value_t::number_float:
      return "a number";
    default:
      return "something else";
  }
}

void JsonView::Fail(const std::string& msg) const {
  throw Error(ErrorCode::kBadConfig, file_ + ": " + path_ + ": " + msg);
}

bool JsonView::Has(const std::string& key) const {
  return j_->is_object() && j_->contains(key) && !(*j_)[key].is_null();
}

JsonView JsonView::At(const std::string& key) const {
  if (!j_->is_object()) Fail(std::string("expected an object, found ") + JsonTypeName(*j_));
  auto it = j_->find(key);
  if (it == j_->end()) Fail("missing required key \"" + key + "\"");
  return JsonView(*it, file_, path_ + "." + key);
}

JsonView JsonView::At(size_t index) const {
  if (!j_->is_array()) Fail(std::string("expected an array, found ") + JsonTypeName(*j_));
  if (index >= j_->size()) Fail("index " + std::to_string(index) + " out of range");
  return JsonView((*j_)[index], file_, path_ + "[" + std::to_string(index) + "]");
}

size_t JsonView::Size() const {
  if (!j_->is_array()) Fail(std::string("expected an array, found ") + JsonTypeName(*j_));
  return j_->size();
}

int64_t JsonView::Int() const {
  if (j_->is_number_integer()) {
    if (j_->is_number_unsigned() && j_->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      Fail("integer out of range");
    }
    return j_->get<int64_t>();
  }
  // Python writes some integers as 8.0; accept exact whole numbers.
  if (j_->is_number_float()) {
    double d = j_->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
      return static_cast<int64_t>(d);
    }
  }
  Fail(std::string("expected an integer, found ") + JsonTypeName(*j_));
}

double JsonView::Number() const {
  if (!j_->is_number()) Fail(std::string("expected a number, found ") + JsonTypeName(*j_));
  return j_->get<double>();
}

bool JsonView::Bool() const {
  if (!j_->is_boolean()) Fail(std::string("expected true or false, found ") + JsonTypeName(*j_));
  return j_->get<bool>();
}

std::string JsonView::String() const {
  if (!j_->is_string()) Fail(std::string("expected a string, found ") + JsonTypeName(*j_));
  return j_->get<std::string>();
}

int64_t JsonView::IntOr(const std::string& key, int64_t fallback) const {
  return Has(key) ? At(key).Int() : fallback;
}
double JsonView::NumberOr(const std::string& key, double fallback) const {
  return Has(key) ? At(key).Number() : fallback;
}
bool JsonView::BoolOr(const std::string& key, bool fallback) const {
  return Has(key) ? At(key).Bool() : fallback;
}
std::optional<std::string> JsonView::StringOr(const std::string& key) const {
  if (!Has(key)) return std::nullopt;
  return At(key).String();
}

}  // namespace exaone::io
