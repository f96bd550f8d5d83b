#pragma once
// The control plane's view of a config: validation with the data plane's own
// snapshot builder, key redaction, and one-line summaries. Pure; thread-safe.

#include <string>

#include "absl/status/status.h"
#include "switchboard/config/v1/config.pb.h"

namespace switchboard::controlplane {

// Builds a routing::Snapshot from `config` exactly as a data plane does, and
// throws it away. Environment keys are not resolved (they live in the data
// planes' environments, not the control plane's): every `envVar` named by a
// key provider counts as set; other variables (FunTimeRouter's optional ones)
// count as unset. Errors are INVALID_ARGUMENT "<config path>: <what>".
absl::Status ValidateForControlPlane(const config::v1::Config& config);

// A copy of `config` with every key provider's `key` cleared. Names, types,
// targets and envVar stay.
config::v1::Config Redacted(const config::v1::Config& config);

// "4 model providers, 1 key provider, 0 processor chains".
std::string Summarize(const config::v1::Config& config);

// True when `a` and `b` are the same config.
bool SameConfig(const config::v1::Config& a, const config::v1::Config& b);

}  // namespace switchboard::controlplane
