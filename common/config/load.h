#pragma once
// Loading a config file (FireRouter's config.yaml format, or the same as JSON)
// into the proto schema.
//
// Errors are absl::InvalidArgumentError whose message is
//   "<source>:<line>: <path>: <what is wrong>"   (line when known)
// where <path> is the config path in FireRouter's own key names, e.g.
//   "config.yaml:14: modelProviders.random-picker.modelWeights.gpt-4-turbo: unknown model provider 'gpt-4-turbo'"
//   "config.yaml:30: processorChains.strict-chat[1].topK: expected a number or \"unset\""
// Pure functions; thread-safe.

#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "switchboard/config/v1/config.pb.h"

namespace switchboard::config {

using Config = ::switchboard::config::v1::Config;

// Config path ("modelProviders.x.modelWeights.y", "processorChains.c[1].topK")
// -> 1-based line in the source text. Empty for sources without lines.
using SourceMap = std::map<std::string, int, std::less<>>;

// A config path the loader generated -> the path as the file wrote it
// (providers.json: "modelProviders.OpenRouter/x.url" -> "providers[0].base_url").
using PathAliases = std::map<std::string, std::string, std::less<>>;

struct LoadedConfig {
  Config config;
  std::string source_name;  // file path or URL, for messages
  SourceMap source_map;
  // "config" (FireRouter's YAML/JSON form) or "providers.json" (FunTimeRouter's,
  // common/config/providers_json.h).
  std::string form = "config";
  PathAliases path_aliases;
};

// Parses YAML or JSON text (JSON is YAML, so one parser serves both) and decodes
// it into a Config: type checks, unknown keys, FireRouter's list-shaped chains
// and inline samplers. Then runs ValidateConfig (validate.h). Errors name the
// path and, where known, the line. FunTimeRouter's providers.json (a list at
// the top level) is recognised and converted (providers_json.h). Sealed
// (encrypted) text is not opened here: see common/crypto/open_config.h.
absl::StatusOr<LoadedConfig> ParseConfigText(std::string_view text, std::string_view source_name);
absl::StatusOr<LoadedConfig> LoadConfigFile(const std::string& path);
// The bytes of a config file (at most 16 MiB), unparsed.
absl::StatusOr<std::string> ReadConfigFile(const std::string& path);

// Rewrites an error whose message begins with a config path present in
// `loaded.source_map` to "<source>:<line>: <message>"; other errors get
// "<source>: " prefixed. A path with an entry in `loaded.path_aliases` (or
// under one) is first replaced by the file's spelling. Used for errors found after loading (snapshot build,
// processor validation), so they point into the file too.
absl::Status AnnotateWithSource(const absl::Status& status, const LoadedConfig& loaded);

}  // namespace switchboard::config
