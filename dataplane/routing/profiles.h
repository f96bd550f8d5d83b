#pragma once
// Client-facing settings of a snapshot: client profiles (FunTimeRouter's
// /janitorai and /sillytavern endpoints, with default model and prefill),
// CORS and the request-log switch. Built and validated with the snapshot;
// immutable afterwards.

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "switchboard/config/v1/config.pb.h"

namespace switchboard::routing {

struct Model;

struct ClientProfile {
  std::string name;
  std::string path;                     // "/janitorai": no trailing slash
  const Model* default_model = nullptr;  // null: the client's model name is used
  std::optional<std::string> prefill;
  std::optional<std::string> system_prefill;
  int64_t system_prefill_position = 0;
  bool generic_models = false;   // GET <path>/models shows only `generic_model`
  std::string generic_model;
};

// A key clients present. Only its SHA-256 is kept; comparisons look at every
// key, in constant time.
class ClientKey {
 public:
  ClientKey(std::string name, std::string_view secret, std::optional<double> requests_per_minute);
  const std::string& name() const { return name_; }
  const std::array<unsigned char, 32>& digest() const { return digest_; }
  // Takes one request from the key's per-minute allowance; false (and the
  // wait until the next one) when it is used up. Thread-safe.
  bool Admit(std::chrono::steady_clock::time_point now, std::chrono::steady_clock::duration* wait) const;

 private:
  struct Bucket {
    std::mutex mu;
    double tokens = 0;
    std::chrono::steady_clock::time_point refilled{};
  };
  std::string name_;
  std::array<unsigned char, 32> digest_{};
  std::optional<double> per_minute_;
  std::shared_ptr<Bucket> bucket_;
};

struct ClientSettings {
  std::vector<ClientProfile> profiles;  // longest path first
  bool any_origin = true;
  std::vector<std::string> allowed_origins;
  bool log_requests = true;
  std::vector<ClientKey> client_keys;  // empty: no client authentication

  // The key whose value is `presented`, or null. Constant time in `presented`
  // and in which key matched.
  const ClientKey* Authenticate(std::string_view presented) const;

  // The profile whose path is `path` or a prefix of it followed by '/';
  // `rest` gets what follows the prefix ("" or "/chat/completions").
  const ClientProfile* Match(std::string_view path, std::string_view* rest) const;
  // The Access-Control-Allow-Origin value for a request from `origin` (the
  // Origin header, maybe empty): "*", the origin itself, or "" (not allowed).
  std::string AllowOrigin(std::string_view origin) const;
};

inline constexpr std::string_view kDefaultGenericModel = "Secret";

// `find` looks a model provider up by name (nullptr when absent); `getenv`
// reads FunTimeRouter's JANITORAI_PREFILL_CONTENT,
// JANITORAI_SYSTEM_PREFILL_CONTENT and ENABLE_LOGGING, which fill in what the
// config leaves unset, and client keys given as environment variables; key
// files are read here too. Errors name the config path.
absl::StatusOr<ClientSettings> BuildClientSettings(const config::v1::Config& config,
                                                   const std::function<const Model*(std::string_view)>& find,
                                                   const std::function<const char*(const char*)>& getenv);

}  // namespace switchboard::routing
