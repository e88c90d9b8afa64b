#include "model/model_files.h"

#include "base/error.h"

namespace exaone::model {

void GgufMeta::Fail(const std::string& key, const std::string& msg) const {
  throw Error(ErrorCode::kBadConfig, what_ + ": metadata '" + key + "': " + msg);
}

std::optional<int64_t> GgufMeta::IntOpt(const std::string& key) const {
  const io::GgufValue* v = Find(key);
  if (!v) return std::nullopt;
  auto i = v->AsInt();
  if (!i) Fail(key, std::string("expected an integer, found ") + io::GgufTypeName(v->type));
  return i;
}

int64_t GgufMeta::Int(const std::string& key) const {
  auto v = IntOpt(key);
  if (!v) Fail(key, "missing");
  return *v;
}

std::optional<double> GgufMeta::NumberOpt(const std::string& key) const {
  const io::GgufValue* v = Find(key);
  if (!v) return std::nullopt;
  auto d = v->AsNumber();
  if (!d) Fail(key, std::string("expected a number, found ") + io::GgufTypeName(v->type));
  return d;
}

double GgufMeta::Number(const std::string& key) const {
  auto v = NumberOpt(key);
  if (!v) Fail(key, "missing");
  return *v;
}

std::optional<std::string> GgufMeta::StringOpt(const std::string& key) const {
  const io::GgufValue* v = Find(key);
  if (!v) return std::nullopt;
  if (v->type != io::GgufType::kString) {
    Fail(key, std::string("expected a string, found ") + io::GgufTypeName(v->type));
  }
  return v->str;
}

std::optional<std::vector<bool>> GgufMeta::BoolArrayOpt(const std::string& key) const {
  const io::GgufValue* v = Find(key);
  if (!v) return std::nullopt;
  if (v->type != io::GgufType::kArray || v->elem_type != io::GgufType::kBool) {
    Fail(key, "expected an array of bool");
  }
  std::vector<bool> out;
  for (size_t k = 0; k < v->ArraySize(); ++k) out.push_back(v->Item(k).u != 0);
  return out;
}

std::unique_ptr<ModelFiles> OpenModelFiles(const std::string& path, Residency residency) {
  auto files = std::make_unique<ModelFiles>();
  files->path = path;
  if (IsDirectory(path)) {
    files->format = SourceFormat::kHuggingFace;
    files->config_path = path + "/config.json";
    if (!FileExists(files->config_path)) {
      throw Error(ErrorCode::kNotFound,
                  path + ": no config.json (not a Hugging Face model folder)");
    }
    files->config = io::ReadJsonFile(files->config_path);
    io::JsonView root = files->ConfigView();
    if (!root.json().is_object()) root.Fail("expected an object");
    files->arch = root.String("model_type");
    files->st = io::SafetensorsSet::OpenDir(path, residency);
    files->file_bytes = files->st->total_file_bytes();
    return files;
  }
  files->format = SourceFormat::kGguf;
  files->gguf = std::make_unique<io::GgufFile>(path, residency);
  files->file_bytes = files->gguf->file_size();
  auto arch = files->Meta().StringOpt("general.architecture");
  if (!arch) throw Error(ErrorCode::kBadConfig, path + ": metadata 'general.architecture' missing");
  files->arch = *arch;
  return files;
}

}  // namespace exaone::model
