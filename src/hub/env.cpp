// HubEnv from the environment, with huggingface_hub's variable names, defaults and precedence,
// so that both find the same cache and the same token.
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "base/error.h"
#include "base/mapped_file.h"
#include "hub/hub.h"
#include "hub/names.h"

namespace exaone::hub {
namespace {

constexpr const char* kDefaultEndpoint = "https://huggingface.co";
constexpr long kDefaultTimeoutS = 10;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// $HOME, else the password database's home (services often run without HOME).
std::string Home() {
  std::string home = Env("HOME");
  if (home.empty()) {
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) home = pw->pw_dir;
  }
  return home;
}

std::string ExpandUser(const std::string& path) {
  if (path == "~" || path.rfind("~/", 0) == 0) return Home() + path.substr(1);
  return path;
}

// huggingface_hub's _is_true.
bool IsTrue(const std::string& v) {
  const std::string l = ToLower(v);
  return l == "1" || l == "on" || l == "yes" || l == "true";
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t b = 0;
  while (b < s.size() && s[b] == ' ') ++b;
  return s.substr(b);
}

// HF_TOKEN, else the token file `huggingface-cli login` writes. Validated without ever echoing it.
std::string ReadToken(const std::string& hf_home) {
  std::string token = Trimmed(Env("HF_TOKEN"));
  std::string source = "HF_TOKEN";
  if (token.empty()) {
    std::string path = Env("HF_TOKEN_PATH");
    path = path.empty() ? hf_home + "/token" : ExpandUser(path);
    if (FileExists(path)) {
      token = Trimmed(ReadTextFile(path));
      source = path;
    }
  }
  for (char c : token) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      throw Error(ErrorCode::kInvalidArgument,
                  "the token in " + source + " contains characters a token cannot have");
    }
  }
  return token;
}

long ReadTimeout() {
  const std::string v = Env("HF_HUB_DOWNLOAD_TIMEOUT");
  if (v.empty()) return kDefaultTimeoutS;
  char* end = nullptr;
  const double s = std::strtod(v.c_str(), &end);
  if (*end != '\0' || !(s > 0) || s > 86400) {
    throw Error(ErrorCode::kInvalidArgument,
                "HF_HUB_DOWNLOAD_TIMEOUT must be a number of seconds, got \"" + v + "\"");
  }
  return s < 1 ? 1 : static_cast<long>(s);
}

}  // namespace

HubEnv HubEnv::FromEnvironment() {
  HubEnv env;
  env.endpoint = Env("HF_ENDPOINT");
  if (env.endpoint.empty()) env.endpoint = kDefaultEndpoint;
  while (!env.endpoint.empty() && env.endpoint.back() == '/') env.endpoint.pop_back();

  std::string home = Env("HF_HOME");
  if (home.empty()) {
    std::string xdg = Env("XDG_CACHE_HOME");
    home = (xdg.empty() ? Home() + "/.cache" : xdg) + "/huggingface";
  }
  home = ExpandUser(home);
  env.cache_dir = Env("HF_HUB_CACHE");
  if (env.cache_dir.empty()) env.cache_dir = Env("HUGGINGFACE_HUB_CACHE");
  env.cache_dir = env.cache_dir.empty() ? home + "/hub" : ExpandUser(env.cache_dir);

  std::string offline = Env("HF_HUB_OFFLINE");
  if (offline.empty()) offline = Env("TRANSFORMERS_OFFLINE");
  env.offline = IsTrue(offline);
  env.token = ReadToken(home);
  env.timeout_s = ReadTimeout();
  return env;
}

}  // namespace exaone::hub
