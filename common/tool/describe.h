#pragma once
// `switchboard-config check`'s report: what a valid config defines, for a
// person to read. Models with their type and upstream, random providers'
// weights as percentages, chains and their processors, which keys target
// which models, client endpoints. Key values are never printed (only the key
// provider's name and, for environment keys, the variable). Pure; thread-safe.

#include <string>
#include <vector>

#include "common/crypto/open_config.h"
#include "dataplane/routing/snapshot.h"

namespace switchboard::tool {

std::string DescribeConfig(const crypto::OpenedConfig& opened, const routing::Snapshot& snapshot,
                           const std::vector<std::string>& warnings);

// One processor in a line: "overridesamplers(temperature=0.8, top_k=unset)",
// "random(50%: nosys, 50%: squash)". Message content is not shown.
std::string DescribeProcessor(const config::v1::Processor& processor);

}  // namespace switchboard::tool
