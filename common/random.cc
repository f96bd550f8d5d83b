#include "common/random.h"

#include <algorithm>

namespace switchboard {

WeightedPicker::WeightedPicker(const std::vector<double>& weights) {
  cumulative_.reserve(weights.size());
  double sum = 0;
  for (double w : weights) {
    sum += w;
    cumulative_.push_back(sum);
  }
}

size_t WeightedPicker::Pick(Rng& rng) const {
  if (cumulative_.size() <= 1) return 0;
  std::uniform_real_distribution<double> dist(0.0, cumulative_.back());
  double x = dist(rng);
  auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), x);
  if (it == cumulative_.end()) --it;  // x == total (rounding)
  return static_cast<size_t>(it - cumulative_.begin());
}

double WeightedPicker::Probability(size_t i) const {
  if (cumulative_.empty()) return 0;
  double prev = i == 0 ? 0 : cumulative_[i - 1];
  return (cumulative_[i] - prev) / cumulative_.back();
}

}  // namespace switchboard
