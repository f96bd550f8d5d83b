#pragma once
// One accepted config version. Immutable once made; shared as
// shared_ptr<const ConfigVersion> between the version history, the discovery
// streams that push it and the admin calls that read it.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "switchboard/config/v1/config.pb.h"

namespace switchboard::controlplane {

struct ConfigVersion {
  uint64_t version = 0;
  std::chrono::system_clock::time_point time;
  std::string author;   // "admin@127.0.0.1", "startup", ...
  std::string summary;  // one line: what changed
  std::shared_ptr<const config::v1::Config> config;  // never null
};

using VersionPtr = std::shared_ptr<const ConfigVersion>;

}  // namespace switchboard::controlplane
