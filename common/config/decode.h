#pragma once
// The typed tree of a config file (yaml_tree.h) -> the Config proto, by hand, so
// every error names the config path in FireRouter's key names:
//   "processorChains.strict-chat[1].topK: expected a number or \"unset\""
// Accepts FireRouter's file form: a chain is a list of processors (an object
// {processors: [...]} works too), an overridesamplers processor carries its
// samplers as its own keys. Every camelCase key is also accepted in snake_case.
// Does not run ValidateConfig. Pure; thread-safe.

#include "absl/status/status.h"
#include "common/config/load.h"
#include "common/config/yaml_tree.h"

namespace switchboard::config {

// Errors are InvalidArgumentError "<path>: <message>" (no source prefix).
// `source_map` gains the canonical spelling of every path the file wrote
// another way (model_name -> modelName, c.processors[0] -> c[0]) so that errors
// about canonical paths find their line.
absl::Status DecodeConfig(const Json& root, Config* config, SourceMap* source_map);

}  // namespace switchboard::config
