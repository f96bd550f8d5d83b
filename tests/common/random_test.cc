#include "common/random.h"

#include <gtest/gtest.h>

#include <vector>

namespace switchboard {
namespace {

TEST(RandomTest, WeightedPickerFollowsWeights) {
  WeightedPicker picker({0.4, 0.6});
  ASSERT_EQ(picker.size(), 2u);
  EXPECT_DOUBLE_EQ(picker.Probability(0), 0.4);
  EXPECT_DOUBLE_EQ(picker.Probability(1), 0.6);
  Rng rng(20240601);  // fixed seed: the counts below are the same on every run
  constexpr int kDraws = 200000;
  std::vector<int> counts(2);
  for (int i = 0; i < kDraws; ++i) ++counts[picker.Pick(rng)];
  EXPECT_NEAR(counts[0] / static_cast<double>(kDraws), 0.4, 0.01);
  EXPECT_NEAR(counts[1] / static_cast<double>(kDraws), 0.6, 0.01);
}

TEST(RandomTest, WeightedPickerThreeWays) {
  WeightedPicker picker({0.5, 0.3, 0.2});
  Rng rng(7);
  constexpr int kDraws = 200000;
  std::vector<int> counts(3);
  for (int i = 0; i < kDraws; ++i) ++counts[picker.Pick(rng)];
  for (size_t i = 0; i < counts.size(); ++i) {
    EXPECT_NEAR(counts[i] / static_cast<double>(kDraws), picker.Probability(i), 0.01) << i;
  }
}

TEST(RandomTest, SingleWeightAlwaysPicksIt) {
  WeightedPicker picker({3.0});
  Rng rng(1);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(picker.Pick(rng), 0u);
  EXPECT_DOUBLE_EQ(picker.Probability(0), 1.0);
}

TEST(RandomTest, UnequalWeightsNeedNotSumToOne) {
  WeightedPicker picker({2, 3});
  EXPECT_DOUBLE_EQ(picker.Probability(0), 0.4);
  EXPECT_DOUBLE_EQ(picker.Probability(1), 0.6);
}

}  // namespace
}  // namespace switchboard
