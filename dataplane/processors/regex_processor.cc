#include "dataplane/processors/regex_processor.h"

#include "dataplane/processors/messages.h"

namespace switchboard::processors {

void RegexProcessor::Apply(nlohmann::json& request, Rng&) const {
  nlohmann::json* messages = MessagesOf(request);
  if (messages == nullptr) return;
  for (nlohmann::json& message : *messages) {
    ForEachText(message, [this](std::string& text) { regex_->Replace(text); });
  }
}

absl::StatusOr<ProcessorPtr> BuildRegex(const ProcessorConfig& config, const std::string& path) {
  if (config.pattern().empty()) return ConfigError(FieldPath(path, "pattern"), "required");
  if (!config.has_replacement()) {
    return ConfigError(FieldPath(path, "replacement"), "required (may be empty)");
  }
  absl::StatusOr<JsRegexFlags> flags = ParseJsRegexFlags(config.flags());
  if (!flags.ok()) return ConfigError(FieldPath(path, "flags"), flags.status());
  absl::StatusOr<std::unique_ptr<const JsRegex>> regex =
      JsRegex::Compile(config.pattern(), *flags, config.replacement());
  if (!regex.ok()) return ConfigError(FieldPath(path, "pattern"), regex.status());
  return std::make_unique<const RegexProcessor>(std::move(regex).value());
}

}  // namespace switchboard::processors
