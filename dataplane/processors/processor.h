#pragma once
// The processor interface: one step of a processor chain that rewrites a chat
// completions request before it goes upstream.
//
// Who calls it: the data plane's request handler, on an I/O thread, for each
// request routed to a model with a chain. Processors are built once per config
// snapshot by BuildProcessor() and live as long as the snapshot; they are
// immutable and thread-safe (Apply is const and is called concurrently).
// Processors are pure: no I/O, no clocks, no globals; randomness only from the
// Rng the caller passes (seeded in tests).
//
// Apply never throws: implementations check JSON types before every access, and
// a request of an unexpected shape (no `messages`, non-object messages, null
// content) is left as it is. The builtin types, their config and their errors
// are listed in registry.h; each lives in its own .h/.cc pair.

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "common/random.h"
#include "switchboard/config/v1/config.pb.h"

namespace switchboard::processors {

class Processor {
 public:
  virtual ~Processor() = default;
  // Rewrites `request` — the parsed request body: `messages`, samplers and every
  // other field the client sent — in place.
  virtual void Apply(nlohmann::json& request, Rng& rng) const = 0;
};

}  // namespace switchboard::processors
