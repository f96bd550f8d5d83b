#pragma once
// Building processors and named processor chains from config.
//
// Who calls it: whoever builds a config snapshot (the data plane, and the
// control plane to validate a change before accepting it), off the request
// path. Every processor config is validated here, once: the type, the fields
// the type needs, their values, and that no field of another type is set.
// Errors are InvalidArgumentError("<config path>: <what is wrong>"), e.g.
//   processorChains.strict-chat[1].topK: unknown sampler 'topk' (accepted: ...)
//   processorChains.c[0].processorWeights[1].weight: weight must be a finite number > 0 (got 0)
//   processorChains.c[2].processors[1].role: role must be user or assistant (got 'system')
// The processors built are immutable and thread-safe; they live as long as the
// snapshot that owns them.
//
// The processor types are registered explicitly, in a table in registry.cc
// (no static initialisers):
//   nodanglingsys, nosys        role_processors.h
//   overridesamplers            override_samplers.h
//   regex                       regex_processor.h (syntax: js_regex.h)
//   random                      random_processor.h
//   noass                       role_processors.h
//   squash                      squash.h
//   insertmessage               insert_message.h
//   chain                       chain.h

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "dataplane/processors/chain.h"
#include "dataplane/processors/factory.h"

namespace switchboard::processors {

// Builds one processor from config; `path` is its config path, used in errors
// ("processorChains.x[1]").
absl::StatusOr<std::unique_ptr<const Processor>> BuildProcessor(const ProcessorConfig& config,
                                                                const std::string& path);

// Builds a whole named chain; `path` is "processorChains.<name>", its
// processors are "<path>[i]". An empty chain is valid and does nothing.
absl::StatusOr<std::shared_ptr<const Chain>> BuildChain(
    const ::switchboard::config::v1::ProcessorChain& config, const std::string& path);

// The processor types BuildProcessor knows, in registration order.
std::vector<std::string_view> BuiltinProcessorTypes();

}  // namespace switchboard::processors
