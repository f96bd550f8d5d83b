#include "dataplane/server/routes.h"

#include "absl/strings/match.h"

namespace switchboard::server {

std::string NormalizePath(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  if (out.empty()) out.push_back('/');  // (not out = "/": GCC 12 -O3 warns falsely, -Wrestrict)
  return out;
}

Route MatchRoute(std::string_view path, std::string* model_id) {
  std::string_view p = path;
  if (p.substr(0, 4) == "/v1/") p.remove_prefix(3);
  if (p == "/chat/completions") return Route::kChat;
  if (p == "/models") return Route::kModels;
  if (p.substr(0, 8) == "/models/" && p.size() > 8) {
    *model_id = std::string(p.substr(8));
    return Route::kModel;
  }
  return Route::kUnknown;
}

Route MatchProfileRoute(std::string_view rest, std::string* model_id) {
  if (rest.empty()) return Route::kChat;
  return MatchRoute(rest, model_id);
}

std::string_view PresentedClientKey(std::string_view authorization, std::string_view x_api_key) {
  constexpr std::string_view kBearer = "bearer ";
  if (authorization.size() <= kBearer.size() ||
      !absl::StartsWithIgnoreCase(absl::string_view(authorization.data(), authorization.size()),
                                  absl::string_view(kBearer.data(), kBearer.size()))) {
    return x_api_key;
  }
  return authorization.substr(kBearer.size());
}

}  // namespace switchboard::server
