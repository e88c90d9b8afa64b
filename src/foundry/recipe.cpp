#include "foundry/recipe.h"

#include <openssl/evp.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"

namespace exaone::foundry {
namespace {

std::string TypeName(const Json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

std::string Format(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

void RecipeError(const std::string& path, const std::string& message) {
  throw Error(ErrorCode::kInvalidArgument, path + ": " + message);
}

Settings::Settings(const Json& obj, std::string path) : obj_(obj), path_(std::move(path)) {
  if (!obj_.is_object()) RecipeError(path_, "must be an object, not " + TypeName(obj_));
}

bool Settings::Has(const std::string& key) const {
  auto it = obj_.find(key);
  return it != obj_.end() && !it->is_null();
}

const Json* Settings::Get(const std::string& key) {
  read_.insert(key);
  auto it = obj_.find(key);
  return it == obj_.end() || it->is_null() ? nullptr : &*it;
}

const Json* Settings::Raw(const std::string& key) {
  return Get(key);
}

std::optional<std::string> Settings::String(const std::string& key) {
  const Json* v = Get(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) RecipeError(At(key), "must be a string, not " + TypeName(*v));
  return v->get<std::string>();
}

std::string Settings::String(const std::string& key, const std::string& fallback) {
  return String(key).value_or(fallback);
}

std::optional<double> Settings::Number(const std::string& key, double lo, double hi) {
  const Json* v = Get(key);
  if (!v) return std::nullopt;
  if (!v->is_number()) RecipeError(At(key), "must be a number, not " + TypeName(*v));
  const double d = v->get<double>();
  if (!std::isfinite(d) || d < lo || d > hi) {
    RecipeError(At(key), "must be between " + Format(lo) + " and " + Format(hi));
  }
  return d;
}

double Settings::Number(const std::string& key, double fallback, double lo, double hi) {
  return Number(key, lo, hi).value_or(fallback);
}

std::optional<int64_t> Settings::Int(const std::string& key, int64_t lo, int64_t hi) {
  const Json* v = Get(key);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) RecipeError(At(key), "must be an integer, not " + TypeName(*v));
  const int64_t i = v->is_number_unsigned()
                        ? static_cast<int64_t>(std::min<uint64_t>(v->get<uint64_t>(), INT64_MAX))
                        : v->get<int64_t>();
  if (i < lo || i > hi) {
    RecipeError(At(key), "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return i;
}

int64_t Settings::Int(const std::string& key, int64_t fallback, int64_t lo, int64_t hi) {
  return Int(key, lo, hi).value_or(fallback);
}

bool Settings::Bool(const std::string& key, bool fallback) {
  const Json* v = Get(key);
  if (!v) return fallback;
  if (!v->is_boolean()) RecipeError(At(key), "must be true or false, not " + TypeName(*v));
  return v->get<bool>();
}

std::vector<std::string> Settings::Strings(const std::string& key) {
  const Json* v = Get(key);
  if (!v) return {};
  if (v->is_string()) return {v->get<std::string>()};
  if (!v->is_array()) RecipeError(At(key), "must be a string or an array of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) {
      RecipeError(At(key) + "[" + std::to_string(i) + "]", "must be a string");
    }
    out.push_back((*v)[i].get<std::string>());
  }
  return out;
}

void Settings::Finish() const {
  for (const auto& [key, value] : obj_.items()) {
    if (!read_.count(key)) RecipeError(At(key), "unknown setting '" + key + "'");
  }
}

std::string Recipe::Resolve(const std::string& path) const {
  if (path.empty() || path[0] == '/') return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

std::string HashHex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr) != 1) {
    throw Error(ErrorCode::kIo, "SHA-256 failed");
  }
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < 16 && i < n; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

Recipe ParseRecipe(const std::string& text, const std::string& file) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::exception& e) {
    throw Error(ErrorCode::kInvalidArgument, file + ": not valid JSON (" + e.what() + ")");
  }
  try {
    Recipe r;
    Settings top(j, "$");
    r.name = top.String("name", "recipe");
    const Json* in = top.Raw("inputs");
    if (!in) RecipeError("$.inputs", "a recipe needs inputs");
    if (in->is_string() || in->is_array()) {
      r.inputs = top.Strings("inputs");
    } else {
      Settings inputs(*in, "$.inputs");
      r.inputs = inputs.Strings("paths");
      r.text_field = inputs.String("text_field", r.text_field);
      r.id_field = inputs.String("id_field", "");
      inputs.Finish();
    }
    if (r.inputs.empty()) RecipeError("$.inputs", "no input paths");
    if (r.text_field.empty()) RecipeError("$.inputs.text_field", "must not be empty");
    const Json* stages = top.Raw("stages");
    if (!stages || !stages->is_array()) RecipeError("$.stages", "must be an array of stages");
    std::set<std::string> names;
    for (size_t i = 0; i < stages->size(); ++i) {
      const std::string path = "$.stages[" + std::to_string(i) + "]";
      const Json& s = (*stages)[i];
      if (!s.is_object()) RecipeError(path, "must be an object");
      if (!s.contains("type") || !s["type"].is_string()) {
        RecipeError(path + ".type", "each stage needs a string 'type'");
      }
      StageSpec spec;
      spec.type = s["type"].get<std::string>();
      spec.name = spec.type;
      if (s.contains("name")) {
        if (!s["name"].is_string() || s["name"].get<std::string>().empty()) {
          RecipeError(path + ".name", "must be a non-empty string");
        }
        spec.name = s["name"].get<std::string>();
      }
      if (!names.insert(spec.name).second) {
        RecipeError(path + ".name",
                    "two stages are named '" + spec.name + "'; give one a distinct 'name'");
      }
      spec.settings = s;
      spec.path = path;
      r.stages.push_back(std::move(spec));
    }
    const Json* out = top.Raw("output");
    if (!out) RecipeError("$.output", "a recipe needs an output");
    Settings o(*out, "$.output");
    const auto dir = o.String("dir");
    if (!dir || dir->empty()) RecipeError("$.output.dir", "needs the output folder");
    r.output.dir = *dir;
    r.output.compression = o.String("compression", "zst");
    if (r.output.compression != "zst" && r.output.compression != "gz" &&
        r.output.compression != "none") {
      RecipeError("$.output.compression", "must be \"zst\", \"gz\" or \"none\"");
    }
    r.output.shard_bytes = static_cast<uint64_t>(o.Int(
        "shard_bytes", static_cast<int64_t>(r.output.shard_bytes), 1 << 10, int64_t{1} << 40));
    r.output.write_rejects = o.Bool("rejects", true);
    o.Finish();
    top.Finish();
    r.base_dir = std::filesystem::absolute(std::filesystem::path(file)).parent_path().string();
    r.hash = HashHex(j.dump());
    return r;
  } catch (const Error& e) {
    throw Error(ErrorCode::kInvalidArgument, file + ": " + e.what());
  }
}

Recipe LoadRecipe(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kNotFound, path + ": cannot open the recipe");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseRecipe(ss.str(), path);
}

}  // namespace exaone::foundry
