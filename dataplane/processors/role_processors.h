#pragma once
// The processors that only rewrite message roles:
//   nosys          every system/developer message becomes user.
//   nodanglingsys  the leading block of system/developer messages stays; after
//                  the first user or assistant message, every system/developer
//                  message becomes user.
//   noass          the first assistant message and every message after it (any
//                  role) take the configured role, `user` or `assistant`.
// Messages that are not objects or have no string role are left alone (and do
// not count as user/assistant). A request without a `messages` array is left
// alone. Immutable, thread-safe.

#include <string>

#include "dataplane/processors/factory.h"

namespace switchboard::processors {

class NoSysProcessor final : public Processor {
 public:
  void Apply(nlohmann::json& request, Rng& rng) const override;
};

class NoDanglingSysProcessor final : public Processor {
 public:
  void Apply(nlohmann::json& request, Rng& rng) const override;
};

class NoAssProcessor final : public Processor {
 public:
  // `role` is "user" or "assistant" (checked by BuildNoAss).
  explicit NoAssProcessor(std::string role) : role_(std::move(role)) {}
  void Apply(nlohmann::json& request, Rng& rng) const override;

 private:
  const std::string role_;
};

// Factories (see factory.h). nosys and nodanglingsys take no fields; noass
// needs `role`.
absl::StatusOr<ProcessorPtr> BuildNoSys(const ProcessorConfig& config, const std::string& path);
absl::StatusOr<ProcessorPtr> BuildNoDanglingSys(const ProcessorConfig& config,
                                                const std::string& path);
absl::StatusOr<ProcessorPtr> BuildNoAss(const ProcessorConfig& config, const std::string& path);

}  // namespace switchboard::processors
