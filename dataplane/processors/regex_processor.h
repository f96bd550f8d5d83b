#pragma once
// regex: find-and-replace on the text of every message of every role, system
// included. String content is one text; array content has one text per
// `{"type":"text"}` part, each replaced separately (without `g`, the first
// match in each). Other parts, null content and non-object messages are left
// alone. Pattern, flag and replacement syntax: js_regex.h.
//
// Config: `pattern` (required, non-empty), `replacement` (required, may be
// empty), `flags` (optional). Errors name the field:
//   "processorChains.x[0].flags: flag 'y' (sticky) is not supported"
//   "processorChains.x[0].pattern: RE2 cannot take this pattern (...): <RE2's error>"
// Immutable, thread-safe.

#include "dataplane/processors/factory.h"
#include "dataplane/processors/js_regex.h"

namespace switchboard::processors {

class RegexProcessor final : public Processor {
 public:
  explicit RegexProcessor(std::unique_ptr<const JsRegex> regex) : regex_(std::move(regex)) {}
  void Apply(nlohmann::json& request, Rng& rng) const override;

 private:
  const std::unique_ptr<const JsRegex> regex_;
};

absl::StatusOr<ProcessorPtr> BuildRegex(const ProcessorConfig& config, const std::string& path);

}  // namespace switchboard::processors
