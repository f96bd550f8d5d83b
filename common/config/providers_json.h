#pragma once
// FunTimeRouter's providers.json as a Switchboard config.
//
// The file is a list of providers (or a mapping whose only key is `providers`,
// holding that list):
//   [{"name": "OpenRouter", "base_url": "https://openrouter.ai/api/v1",
//     "api_key": "sk-or-...",
//     "models": [{"id": "mistralai/mistral-7b-instruct", "enable_prefill": true,
//                 "settings": {"temperature": 0.8}}]}]
//
// Each provider/model pair becomes:
//   modelProviders."<name>/<id>"   genericoai, url = base_url + "/chat/completions"
//                                  (unless base_url already ends in it),
//                                  modelName = id, enablePrefill = the model's
//                                  enable_prefill (absent = false, as in
//                                  FunTimeRouter: prefill only where asked for)
//   keyProviders."<name>/<id>"     literal api_key, modelTargets ["^<name>/<id>$"]
//                                  (regex-quoted); none when api_key is empty
//   processorChains."<name>/<id>"  one overridesamplers processor with
//                                  `settings` (numbers only), when settings are
//                                  given
// and one more model, `random`, picks uniformly among all of them; it is the
// config's defaultModel, so the /janitorai and /sillytavern endpoints use it
// (FunTimeRouter's randomized load balancing). A pair listed twice gets "#2",
// "#3" appended to the later names. `name` defaults to "provider<N>" (1-based).
// Unknown keys are errors (with a suggestion), as everywhere in the config.
//
// Errors are InvalidArgumentError "<path>: <message>" with paths as the file
// writes them: "providers[0].models[2].settings.foo: ...". The source map gets
// "providers[...]" paths for the file's lines, and `path_aliases` maps the
// generated config paths back to them ("processorChains.OpenRouter/x[0].foo" ->
// "providers[0].models[0].settings.foo"), so that errors found later (sampler
// names, when the snapshot is built) name the file's path too. Pure;
// thread-safe.

#include "absl/status/status.h"
#include "common/config/load.h"
#include "common/config/yaml_tree.h"

namespace switchboard::config {

// The name of the random model over every providers.json model.
inline constexpr std::string_view kProvidersJsonRandomModel = "random";

// True when `root` has providers.json's shape: a list (empty, or starting with
// a mapping) at the top level, or a mapping whose only key is `providers`.
bool IsProvidersJson(const Json& root);

// `source_map` is the one YamlToTree made of the file; it gains the
// "providers[...]" spellings of its paths. `path_aliases` (may be null) gains
// generated path -> file path.
absl::Status DecodeProvidersJson(const Json& root, Config* config, SourceMap* source_map, PathAliases* path_aliases);

}  // namespace switchboard::config
