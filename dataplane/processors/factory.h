#pragma once
// What every processor factory shares: the config type, the factory signature
// and the error helper. Factories run when a config snapshot is built (never on
// the request path); each validates its own fields and returns an immutable
// processor, or InvalidArgumentError("<config path>: <what is wrong>").

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dataplane/processors/processor.h"
#include "switchboard/config/v1/config.pb.h"

namespace switchboard::processors {

using ProcessorConfig = ::switchboard::config::v1::Processor;
using ProcessorPtr = std::unique_ptr<const Processor>;

// Builds one processor of a known type from its config. `path` names the
// processor in the config ("processorChains.x[1]"); errors extend it with the
// field ("processorChains.x[1].role: ...").
using ProcessorFactory = absl::StatusOr<ProcessorPtr> (*)(const ProcessorConfig& config,
                                                          const std::string& path);

// InvalidArgumentError("<path>: <message>").
inline absl::Status ConfigError(std::string_view path, std::string_view message) {
  std::string text(path);
  text += ": ";
  text += message;
  return absl::InvalidArgumentError(text);
}

// InvalidArgumentError("<path>: <cause's message>").
inline absl::Status ConfigError(std::string_view path, const absl::Status& cause) {
  const absl::string_view message = cause.message();  // not std::string_view here
  return ConfigError(path, std::string_view(message.data(), message.size()));
}

// "<path>.<field>".
inline std::string FieldPath(std::string_view path, std::string_view field) {
  std::string text(path);
  text += '.';
  text += field;
  return text;
}

}  // namespace switchboard::processors
