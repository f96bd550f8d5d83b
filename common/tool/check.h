#pragma once
// `switchboard-config check`: builds a loaded config into a snapshot exactly as
// the data plane does (routing::Snapshot::Build), except that environment
// variables the config's keys name but this machine does not set are warnings,
// not errors (a config is often checked away from where it runs).
// Pure apart from reading the environment; thread-safe.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config/load.h"
#include "dataplane/routing/snapshot.h"

namespace switchboard::tool {

struct CheckResult {
  std::shared_ptr<const routing::Snapshot> snapshot;
  // "OPENROUTER_API_KEY is not set in this environment (keyProviders.or.envVar)"
  std::vector<std::string> warnings;
};

// Errors are annotated with the source and line (config::AnnotateWithSource).
absl::StatusOr<CheckResult> CheckConfig(const config::LoadedConfig& loaded);

}  // namespace switchboard::tool
