#pragma once
// insertmessage: inserts {"role": role, "content": content} into `messages`
// with JavaScript's `messages.splice(position, 0, message)` semantics: a
// negative position counts from the end (start = max(size + position, 0)), a
// position past the end appends. With 6 messages: -8 and 0 insert first, -1
// before the last message, 6 and 100 append. A request without a `messages`
// array is left alone (no list is created).
//
// Config: `role` (user, assistant, system or developer), `content` (a string,
// may be empty) and `position` (an integer), all required. Immutable,
// thread-safe.

#include <cstdint>
#include <string>

#include "dataplane/processors/factory.h"

namespace switchboard::processors {

class InsertMessageProcessor final : public Processor {
 public:
  InsertMessageProcessor(std::string role, std::string content, int64_t position);
  void Apply(nlohmann::json& request, Rng& rng) const override;

  // The index at which a message is inserted into a list of `size` messages.
  static size_t SpliceIndex(int64_t position, size_t size);

 private:
  const nlohmann::json message_;
  const int64_t position_;
};

absl::StatusOr<ProcessorPtr> BuildInsertMessage(const ProcessorConfig& config,
                                                const std::string& path);

}  // namespace switchboard::processors
