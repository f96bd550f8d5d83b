#pragma once
// squash: merges each run of consecutive messages that share a role listed in
// `roles` into one message.
//
//  - Two different listed roles next to each other are not merged.
//  - A run of one message is left completely untouched (content shape, `name`).
//  - The merged message is the first message of the run with a new `content`
//    (its other fields, e.g. `name`, are kept; later messages' are dropped).
//  - If every message of the run has string (or null/absent) content, the
//    result is a string: the texts joined with `squashString`. If any has array
//    content, the result is array content: the text pieces (string contents and
//    text parts) between two non-text parts are joined with `squashString`
//    into one text part, and non-text parts (images, audio) are kept in order.
//  - Null/absent content adds nothing; if no message of the run has text, the
//    first message's content is kept as it is.
//
// Config: `roles` (required, non-empty; each user, assistant, system or
// developer), `squashString` (default "\n\n"). Immutable, thread-safe.

#include <string>
#include <vector>

#include "dataplane/processors/factory.h"

namespace switchboard::processors {

inline constexpr std::string_view kDefaultSquashString = "\n\n";

class SquashProcessor final : public Processor {
 public:
  SquashProcessor(std::vector<std::string> roles, std::string separator)
      : roles_(std::move(roles)), separator_(std::move(separator)) {}
  void Apply(nlohmann::json& request, Rng& rng) const override;

 private:
  bool Squashes(std::string_view role) const;
  // Merges messages[first, last) (last - first >= 2) into one message.
  nlohmann::json Merge(nlohmann::json& messages, size_t first, size_t last) const;

  const std::vector<std::string> roles_;
  const std::string separator_;
};

absl::StatusOr<ProcessorPtr> BuildSquash(const ProcessorConfig& config, const std::string& path);

}  // namespace switchboard::processors
