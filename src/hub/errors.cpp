#include "hub/errors.h"

#include "base/error.h"

namespace exaone::hub {
namespace {

std::string Header(const HttpResponse& r, const std::string& name) {
  // The hub's verdict is on its own response; a CDN in between knows nothing of repositories.
  for (const Headers* h : {&r.headers, &r.origin_headers}) {
    if (auto it = h->find(name); it != h->end()) return it->second;
  }
  return "";
}

}  // namespace

void ThrowHttpError(const HttpResponse& r, const HubContext& ctx, const std::string& file) {
  const std::string code = Header(r, "x-error-code");
  const std::string page = ctx.endpoint + "/" + ctx.repo;
  const std::string where = file.empty() ? ctx.repo : file + " in " + ctx.repo;
  const std::string status = " (HTTP " + std::to_string(r.status) + ")";

  if (code == "GatedRepo" || ((r.status == 401 || r.status == 403) && code != "RepoNotFound")) {
    if (!ctx.has_token) {
      throw Error(ErrorCode::kInvalidArgument,
                  ctx.repo + " is gated or private" + status +
                      ": set HF_TOKEN to a Hugging Face access token of an account that has " +
                      "accepted its conditions at " + page);
    }
    throw Error(ErrorCode::kInvalidArgument,
                "the token in HF_TOKEN does not give access to " + ctx.repo + status +
                    ": check the token, and accept the repository's conditions at " + page);
  }
  if (code == "RepoNotFound" || (r.status == 404 && file.empty() && code.empty())) {
    throw Error(ErrorCode::kNotFound,
                "repository " + ctx.repo + " not found on " + ctx.endpoint + status +
                    (ctx.has_token ? "" : "; if it is private, set HF_TOKEN"));
  }
  if (code == "RevisionNotFound") {
    throw Error(ErrorCode::kNotFound,
                "revision \"" + ctx.revision + "\" not found in " + ctx.repo + status);
  }
  if (r.status == 404) {
    throw Error(ErrorCode::kNotFound, where + " not found at revision " + ctx.revision + status);
  }
  if (r.status == 429) {
    throw Error(ErrorCode::kIo, ctx.endpoint + " is rate limiting requests" + status +
                                    "; try again later" +
                                    (ctx.has_token ? "" : ", or set HF_TOKEN"));
  }
  throw Error(ErrorCode::kIo,
              ctx.endpoint + " answered HTTP " + std::to_string(r.status) + " for " + where);
}

void ThrowTransportError(const HttpResponse& r, const HubContext& ctx, const std::string& what) {
  throw Error(ErrorCode::kIo, what + " from " + ctx.endpoint + " failed: " + r.error +
                                  " (HF_HUB_OFFLINE=1 uses the local cache only)");
}

}  // namespace exaone::hub
