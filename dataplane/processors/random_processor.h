#pragma once
// random: runs one processor, chosen afresh for every request with the Rng the
// caller passes: by weight from `processorWeights`, or uniformly from
// `processorList`. `processorWeights` wins when both are set (the list is then
// ignored, not even validated, as in FireRouter).
//
// Config errors: neither list set (or both empty); a weight that is not a
// finite number > 0 ("<path>.processorWeights[1].weight: ..."); a bad member
// ("<path>.processorList[0]...", "<path>.processorWeights[1].config...").
// Immutable, thread-safe.

#include <vector>

#include "common/random.h"
#include "dataplane/processors/factory.h"

namespace switchboard::processors {

class RandomProcessor final : public Processor {
 public:
  // `choices` and `picker` have the same size, > 0.
  RandomProcessor(std::vector<ProcessorPtr> choices, WeightedPicker picker)
      : choices_(std::move(choices)), picker_(std::move(picker)) {}
  void Apply(nlohmann::json& request, Rng& rng) const override;

  size_t size() const { return choices_.size(); }
  double Probability(size_t i) const { return picker_.Probability(i); }

 private:
  const std::vector<ProcessorPtr> choices_;
  const WeightedPicker picker_;
};

absl::StatusOr<ProcessorPtr> BuildRandom(const ProcessorConfig& config, const std::string& path);

}  // namespace switchboard::processors
