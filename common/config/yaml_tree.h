#pragma once
// YAML (or JSON) text -> a typed JSON tree plus the line of every config path.
// Pure; thread-safe.

#include <nlohmann/json.hpp>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/config/load.h"

namespace switchboard::config {

// Keys keep the order they have in the file, so errors come in file order.
using Json = nlohmann::ordered_json;

struct YamlTree {
  Json root;             // null for an empty document
  SourceMap source_map;  // "keyProviders.k.modelTargets[0]" -> 1-based line
};

// Plain scalars follow the YAML 1.2 core schema: null/~/empty -> null,
// true/false -> bool, integers (decimal, 0x, 0o), floats (.5, 1e3, .inf, .nan),
// anything else a string. Quoted and block scalars, and `!!str`, are strings.
// Merge keys (`<<: *anchor`) are applied; keys written explicitly win.
// Errors (InvalidArgumentError) are already prefixed "<source>:<line>: ":
//   "config.yaml:7: YAML syntax error: end of sequence flow not found"
//   "config.yaml:9: modelProviders.x: duplicate key 'x'"
absl::StatusOr<YamlTree> YamlToTree(std::string_view text, std::string_view source_name);

}  // namespace switchboard::config
