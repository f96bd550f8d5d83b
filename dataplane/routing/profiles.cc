#include "dataplane/routing/profiles.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

namespace switchboard::routing {
namespace {

absl::Status PathError(const std::string& path, const std::string& message) {
  return absl::InvalidArgumentError(path + ": " + message);
}

// Paths the API itself serves; a profile may not hide them.
bool IsReservedPath(std::string_view path) {
  for (std::string_view reserved : {"/v1", "/chat", "/models", "/healthz", "/readyz", "/metrics"}) {
    if (path == reserved || (path.size() > reserved.size() && path.substr(0, reserved.size()) == reserved &&
                             path[reserved.size()] == '/')) {
      return true;
    }
  }
  return false;
}

bool ValidPathChars(std::string_view path) {
  for (char c : path) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '-' ||
              c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string Trim(std::string s) {
  size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  size_t end = s.find_last_not_of(" \t\r\n");
  return s.substr(begin, end - begin + 1);
}

}  // namespace

ClientKey::ClientKey(std::string name, std::string_view secret, std::optional<double> requests_per_minute)
    : name_(std::move(name)), per_minute_(requests_per_minute), bucket_(std::make_shared<Bucket>()) {
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest_.data());
  if (per_minute_) bucket_->tokens = *per_minute_;
}

bool ClientKey::Admit(std::chrono::steady_clock::time_point now, std::chrono::steady_clock::duration* wait) const {
  if (!per_minute_) return true;
  // A token bucket: `per_minute` tokens at most, refilled continuously.
  double per_second = *per_minute_ / 60.0;
  std::lock_guard<std::mutex> lock(bucket_->mu);
  if (bucket_->refilled != std::chrono::steady_clock::time_point{}) {
    double elapsed = std::chrono::duration<double>(now - bucket_->refilled).count();
    bucket_->tokens = std::min(*per_minute_, bucket_->tokens + elapsed * per_second);
  }
  bucket_->refilled = now;
  if (bucket_->tokens >= 1) {
    bucket_->tokens -= 1;
    return true;
  }
  *wait = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>((1 - bucket_->tokens) / per_second));
  return false;
}

const ClientKey* ClientSettings::Authenticate(std::string_view presented) const {
  std::array<unsigned char, 32> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(presented.data()), presented.size(), digest.data());
  const ClientKey* match = nullptr;
  for (const auto& key : client_keys) {
    bool equal = CRYPTO_memcmp(digest.data(), key.digest().data(), digest.size()) == 0;
    if (equal) match = &key;  // no early exit: every key is compared
  }
  return match;
}

const ClientProfile* ClientSettings::Match(std::string_view path, std::string_view* rest) const {
  for (const auto& profile : profiles) {
    if (path.substr(0, profile.path.size()) != profile.path) continue;
    std::string_view after = path.substr(profile.path.size());
    if (!after.empty() && after.front() != '/') continue;
    *rest = after;
    return &profile;
  }
  return nullptr;
}

std::string ClientSettings::AllowOrigin(std::string_view origin) const {
  if (any_origin) return "*";
  if (origin.empty()) return "";
  for (const auto& allowed : allowed_origins) {
    if (allowed == origin) return std::string(origin);
  }
  return "";
}

absl::StatusOr<ClientSettings> BuildClientSettings(const config::v1::Config& config,
                                                   const std::function<const Model*(std::string_view)>& find,
                                                   const std::function<const char*(const char*)>& getenv) {
  ClientSettings out;
  auto env = [&](const char* name) -> std::optional<std::string> {
    const char* value = getenv(name);
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };

  const Model* fallback_model = nullptr;
  if (!config.default_model().empty()) {
    fallback_model = find(config.default_model());
    if (fallback_model == nullptr) {
      return PathError("defaultModel", "unknown model provider '" + config.default_model() + "'");
    }
  }

  // The two built-in profiles, then the config's (which override them).
  std::map<std::string, config::v1::ClientProfile> merged;
  merged["janitorai"];
  merged["sillytavern"];
  for (const auto& [name, profile] : config.client_profiles()) merged[name] = profile;

  for (const auto& [name, cp] : merged) {
    std::string path = "clientProfiles." + name;
    ClientProfile profile;
    profile.name = name;
    profile.path = cp.path().empty() ? "/" + name : cp.path();
    while (profile.path.size() > 1 && profile.path.back() == '/') profile.path.pop_back();
    if (profile.path.size() < 2 || profile.path.front() != '/' || !ValidPathChars(profile.path) ||
        profile.path.find("//") != std::string::npos) {
      return PathError(path + ".path", "'" + cp.path() + "' must be a path such as /" + name +
                                           " (letters, digits, '-', '_', '.', '/')");
    }
    if (IsReservedPath(profile.path)) {
      return PathError(path + ".path", "'" + profile.path + "' would hide the API's own " + profile.path);
    }
    profile.default_model = fallback_model;
    if (!cp.default_model().empty()) {
      profile.default_model = find(cp.default_model());
      if (profile.default_model == nullptr) {
        return PathError(path + ".defaultModel", "unknown model provider '" + cp.default_model() + "'");
      }
    }
    if (cp.has_prefill()) profile.prefill = cp.prefill();
    if (cp.has_system_prefill()) profile.system_prefill = cp.system_prefill();
    profile.system_prefill_position = cp.has_system_prefill_position() ? cp.system_prefill_position() : 0;
    if (name == "janitorai") {
      // FunTimeRouter's environment, for deployments that carry over.
      if (!profile.prefill) profile.prefill = env("JANITORAI_PREFILL_CONTENT");
      if (!profile.system_prefill) profile.system_prefill = env("JANITORAI_SYSTEM_PREFILL_CONTENT");
    }
    if (profile.prefill && profile.prefill->empty()) profile.prefill.reset();
    if (profile.system_prefill && profile.system_prefill->empty()) profile.system_prefill.reset();
    if (cp.models().empty()) {
      profile.generic_models = profile.default_model != nullptr;
    } else if (cp.models() == "generic") {
      if (profile.default_model == nullptr) {
        return PathError(path + ".models", "'generic' needs a defaultModel (here or at the top level)");
      }
      profile.generic_models = true;
    } else if (cp.models() == "all") {
      profile.generic_models = false;
    } else {
      return PathError(path + ".models", "must be 'generic' or 'all', not '" + cp.models() + "'");
    }
    profile.generic_model = cp.has_generic_model() ? cp.generic_model() : std::string(kDefaultGenericModel);
    if (profile.generic_model.empty()) return PathError(path + ".genericModel", "must not be empty");
    for (const auto& other : out.profiles) {
      if (other.path == profile.path) {
        return PathError(path + ".path", "'" + profile.path + "' is also the path of profile '" + other.name + "'");
      }
    }
    out.profiles.push_back(std::move(profile));
  }
  std::sort(out.profiles.begin(), out.profiles.end(),
            [](const ClientProfile& a, const ClientProfile& b) { return a.path.size() > b.path.size(); });

  out.any_origin = config.cors().allowed_origins().empty();
  for (int i = 0; i < config.cors().allowed_origins_size(); ++i) {
    const std::string& origin = config.cors().allowed_origins(i);
    if (origin == "*") {
      out.any_origin = true;
      continue;
    }
    if (origin.rfind("http://", 0) != 0 && origin.rfind("https://", 0) != 0) {
      return PathError("cors.allowedOrigins[" + std::to_string(i) + "]",
                       "'" + origin + "' is not an origin such as https://janitorai.com");
    }
    if (origin.back() == '/') {
      return PathError("cors.allowedOrigins[" + std::to_string(i) + "]",
                       "an origin has no path or trailing '/': '" + origin.substr(0, origin.size() - 1) + "'");
    }
    out.allowed_origins.push_back(origin);
  }

  for (const auto& [name, ck] : std::map<std::string, config::v1::ClientKey>(config.client_keys().begin(),
                                                                             config.client_keys().end())) {
    std::string path = "clientKeys." + name;
    std::string secret = ck.key();
    if (!ck.env_var().empty()) {
      auto value = env(ck.env_var().c_str());
      if (!value || value->empty()) {
        return PathError(path + ".envVar", "environment variable " + ck.env_var() + " is not set");
      }
      secret = *value;
    } else if (!ck.file().empty()) {
      std::ifstream in(ck.file(), std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      if (!in) return PathError(path + ".file", "cannot read " + ck.file());
      secret = Trim(text.str());
    }
    if (secret.size() < 8) return PathError(path, "a client key needs at least 8 characters");
    std::optional<double> rpm;
    if (ck.has_requests_per_minute()) rpm = ck.requests_per_minute();
    out.client_keys.emplace_back(name, secret, rpm);
  }

  out.log_requests = !config.logging().has_requests() || config.logging().requests();
  if (auto enable = env("ENABLE_LOGGING"); enable) {
    std::string v = *enable;
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
    if (v == "false" || v == "0" || v == "no" || v == "off") out.log_requests = false;
  }
  return out;
}

}  // namespace switchboard::routing
