#include "dataplane/processors/insert_message.h"

#include "dataplane/processors/messages.h"

namespace switchboard::processors {
namespace {

nlohmann::json MakeMessage(std::string role, std::string content) {
  nlohmann::json message = nlohmann::json::object();
  message["role"] = std::move(role);
  message["content"] = std::move(content);
  return message;
}

}  // namespace

InsertMessageProcessor::InsertMessageProcessor(std::string role, std::string content,
                                               int64_t position)
    : message_(MakeMessage(std::move(role), std::move(content))), position_(position) {}

size_t InsertMessageProcessor::SpliceIndex(int64_t position, size_t size) {
  if (position >= 0) {
    return static_cast<uint64_t>(position) < size ? static_cast<size_t>(position) : size;
  }
  // -position fits in uint64_t even for INT64_MIN.
  const uint64_t back = static_cast<uint64_t>(-(position + 1)) + 1;
  return back >= size ? 0 : size - static_cast<size_t>(back);
}

void InsertMessageProcessor::Apply(nlohmann::json& request, Rng&) const {
  nlohmann::json* messages = MessagesOf(request);
  if (messages == nullptr) return;
  const size_t index = SpliceIndex(position_, messages->size());
  messages->insert(messages->begin() + static_cast<std::ptrdiff_t>(index), message_);
}

absl::StatusOr<ProcessorPtr> BuildInsertMessage(const ProcessorConfig& config,
                                                const std::string& path) {
  if (config.role().empty()) {
    return ConfigError(FieldPath(path, "role"),
                       "required (one of " + std::string(kMessageRolesText) + ")");
  }
  if (!IsMessageRole(config.role())) {
    return ConfigError(FieldPath(path, "role"), "role must be one of " +
                                                    std::string(kMessageRolesText) + " (got '" +
                                                    config.role() + "')");
  }
  if (!config.has_content()) {
    return ConfigError(FieldPath(path, "content"), "required (a string, may be empty)");
  }
  if (!config.has_position()) {
    return ConfigError(FieldPath(path, "position"), "required (an integer; negative counts from the end)");
  }
  return std::make_unique<const InsertMessageProcessor>(config.role(), config.content(),
                                                        config.position());
}

}  // namespace switchboard::processors
