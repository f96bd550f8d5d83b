#pragma once
// Randomness for routing and processors. Everything random on the request path
// takes an `Rng&` from its caller, so tests can seed it.

#include <cstddef>
#include <random>
#include <vector>

namespace switchboard {

using Rng = std::mt19937_64;

// Cumulative weights for O(log n) weighted picks. Built once per config snapshot;
// immutable and thread-safe afterwards.
class WeightedPicker {
 public:
  WeightedPicker() = default;
  // `weights` must all be finite and > 0 (validated by the config layer).
  explicit WeightedPicker(const std::vector<double>& weights);

  // Index chosen with probability weight[i] / sum(weights). Requires size() > 0.
  size_t Pick(Rng& rng) const;
  size_t size() const { return cumulative_.size(); }
  // Probability of index i (for reporting).
  double Probability(size_t i) const;

 private:
  std::vector<double> cumulative_;
};

}  // namespace switchboard
