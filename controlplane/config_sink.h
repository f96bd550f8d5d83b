#pragma once
// Where the registry sends config versions: one per data-plane stream
// (DiscoveryStream). Implementations must not block and must not call back
// into the registry from Push.

#include "controlplane/version.h"

namespace switchboard::controlplane {

class ConfigSink {
 public:
  virtual ~ConfigSink() = default;
  // Queues `version` for sending; a newer one replaces one not yet sent.
  // Called under the registry's lock, from any thread.
  virtual void Push(const VersionPtr& version) = 0;
  // Ends the stream (the control plane is stopping); the data plane keeps its
  // config and reconnects. Called under the registry's lock.
  virtual void Close() = 0;
};

}  // namespace switchboard::controlplane
