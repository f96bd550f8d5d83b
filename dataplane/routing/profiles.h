#pragma once
// Client-facing settings of a snapshot: client profiles (FunTimeRouter's
// /janitorai and /sillytavern endpoints, with default model and prefill),
// CORS and the request-log switch. Built and validated with the snapshot;
// immutable afterwards.

#include <cstdint>
#include <functional>
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

struct ClientSettings {
  std::vector<ClientProfile> profiles;  // longest path first
  bool any_origin = true;
  std::vector<std::string> allowed_origins;
  bool log_requests = true;

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
// config leaves unset. Errors name the config path.
absl::StatusOr<ClientSettings> BuildClientSettings(const config::v1::Config& config,
                                                   const std::function<const Model*(std::string_view)>& find,
                                                   const std::function<const char*(const char*)>& getenv);

}  // namespace switchboard::routing
