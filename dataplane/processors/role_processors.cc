#include "dataplane/processors/role_processors.h"

#include "dataplane/processors/messages.h"

namespace switchboard::processors {

void NoSysProcessor::Apply(nlohmann::json& request, Rng&) const {
  nlohmann::json* messages = MessagesOf(request);
  if (messages == nullptr) return;
  for (nlohmann::json& message : *messages) {
    if (IsSystemLike(RoleOf(message))) SetRole(message, "user");
  }
}

void NoDanglingSysProcessor::Apply(nlohmann::json& request, Rng&) const {
  nlohmann::json* messages = MessagesOf(request);
  if (messages == nullptr) return;
  bool conversation_started = false;
  for (nlohmann::json& message : *messages) {
    std::string_view role = RoleOf(message);
    if (role == "user" || role == "assistant") {
      conversation_started = true;
    } else if (conversation_started && IsSystemLike(role)) {
      SetRole(message, "user");
    }
  }
}

void NoAssProcessor::Apply(nlohmann::json& request, Rng&) const {
  nlohmann::json* messages = MessagesOf(request);
  if (messages == nullptr) return;
  bool after_first_assistant = false;
  for (nlohmann::json& message : *messages) {
    if (!after_first_assistant && RoleOf(message) == "assistant") after_first_assistant = true;
    if (after_first_assistant) SetRole(message, role_);
  }
}

absl::StatusOr<ProcessorPtr> BuildNoSys(const ProcessorConfig&, const std::string&) {
  return std::make_unique<const NoSysProcessor>();
}

absl::StatusOr<ProcessorPtr> BuildNoDanglingSys(const ProcessorConfig&, const std::string&) {
  return std::make_unique<const NoDanglingSysProcessor>();
}

absl::StatusOr<ProcessorPtr> BuildNoAss(const ProcessorConfig& config, const std::string& path) {
  if (config.role().empty()) {
    return ConfigError(FieldPath(path, "role"), "required (user or assistant)");
  }
  if (config.role() != "user" && config.role() != "assistant") {
    return ConfigError(FieldPath(path, "role"),
                       "role must be user or assistant (got '" + config.role() + "')");
  }
  return std::make_unique<const NoAssProcessor>(config.role());
}

}  // namespace switchboard::processors
