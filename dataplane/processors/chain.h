#pragma once
// A sequence of processors run in order as one unit: both a named chain
// (`processorChains.<name>`, built by BuildChain in registry.h) and the `chain`
// processor type (`processors`, required, non-empty).
//
// A named chain is built once per config snapshot and shared, as
// shared_ptr<const Chain>, by every model that names it; it is immutable and
// thread-safe. Each request runs it on its own parsed body.

#include <vector>

#include "dataplane/processors/factory.h"

namespace switchboard::processors {

class Chain final : public Processor {
 public:
  explicit Chain(std::vector<ProcessorPtr> processors) : processors_(std::move(processors)) {}
  // Runs every processor in order on `request`.
  void Apply(nlohmann::json& request, Rng& rng) const override;
  size_t size() const { return processors_.size(); }
  bool empty() const { return processors_.empty(); }

 private:
  const std::vector<ProcessorPtr> processors_;
};

// Factory of the `chain` processor type; sub-processors are named
// "<path>.processors[i]".
absl::StatusOr<ProcessorPtr> BuildChainProcessor(const ProcessorConfig& config,
                                                 const std::string& path);

}  // namespace switchboard::processors
