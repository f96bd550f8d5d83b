// Retry policy arithmetic, resting keys, ejected models and exclusion-aware
// routing.

#include "dataplane/routing/retry.h"

#include <map>

#include <gtest/gtest.h>

#include "common/config/load.h"
#include "dataplane/routing/snapshot.h"

namespace switchboard::routing {
namespace {

using namespace std::chrono_literals;

TEST(Retry, RetryableStatuses) {
  for (int status : {429, 500, 502, 503, 504}) EXPECT_TRUE(IsRetryableStatus(status)) << status;
  for (int status : {200, 400, 401, 403, 404, 413, 422, 501}) EXPECT_FALSE(IsRetryableStatus(status)) << status;
}

TEST(Retry, BackoffDoublesWithJitterAndIsCapped) {
  RetryPolicy policy;  // 100 ms, at most 2000 ms
  Rng rng(7);
  for (int i = 0; i < 200; ++i) {
    auto first = Backoff(policy, 1, rng);
    EXPECT_GE(first, 50ms);
    EXPECT_LT(first, 150ms);
    auto third = Backoff(policy, 3, rng);
    EXPECT_GE(third, 200ms);
    EXPECT_LT(third, 600ms);
    auto tenth = Backoff(policy, 10, rng);
    EXPECT_GE(tenth, 1000ms);
    EXPECT_LT(tenth, 3000ms);
  }
}

TEST(Retry, ParseRetryAfter) {
  EXPECT_EQ(ParseRetryAfter("30"), 30s);
  EXPECT_EQ(ParseRetryAfter(" 0 "), 0s);
  EXPECT_EQ(ParseRetryAfter(""), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-1"), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("1.5"), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("999999999"), 86400s);
}

std::shared_ptr<const Snapshot> Build(const std::string& yaml) {
  auto loaded = config::ParseConfigText(yaml, "test.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  auto snap = Snapshot::Build(loaded->config);
  EXPECT_TRUE(snap.ok()) << snap.status();
  return *snap;
}

TEST(KeyPool, RestingKeysAreSkippedUntilTheyWake) {
  auto snap = Build(R"(
keyProviders:
  k1: {type: literal, key: one, modelTargets: [m]}
  k2: {type: literal, key: two, modelTargets: [m]}
modelProviders:
  m: {type: genericoai, url: "http://x/v1", modelName: m}
)");
  const KeyPool& pool = snap->Find("m")->keys;
  auto now = Clock::now();
  const Key* one = nullptr;
  for (int i = 0; i < 2; ++i) {
    const Key* k = pool.Next(now);
    if (k->value == "one") one = k;
  }
  ASSERT_NE(one, nullptr);
  one->RestUntil(now + 10s);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(pool.Next(now)->value, "two");
  EXPECT_TRUE(pool.AnyReady(now));
  const Key* two = pool.Next(now);
  two->RestUntil(now + 20s);
  Clock::time_point ready_at;
  EXPECT_EQ(pool.Next(now, &ready_at), nullptr);
  EXPECT_EQ(ready_at, now + 10s);
  EXPECT_FALSE(pool.AnyReady(now));
  EXPECT_EQ(pool.Next(now + 11s)->value, "one");
  one->RestUntil(now + 5s);  // an earlier rest does not shorten a later one
  EXPECT_TRUE(one->Resting(now + 9s));
}

constexpr const char* kRandom = R"(
modelProviders:
  a: {type: trivial}
  b: {type: trivial}
  c: {type: trivial}
  inner: {type: random, modelList: [b, c]}
  pick: {type: random, modelWeights: {a: 1, inner: 1}}
)";

TEST(Resolve, ExcludedModelsAreNeverPicked) {
  auto snap = Build(kRandom);
  const Model* pick = snap->Find("pick");
  const Model* a = snap->Find("a");
  const Model* b = snap->Find("b");
  const Model* c = snap->Find("c");
  Rng rng(1);
  std::map<std::string, int> seen;
  for (int i = 0; i < 300; ++i) seen[snap->Resolve(*pick, rng, {a, b}).model->name]++;
  EXPECT_EQ(seen, (std::map<std::string, int>{{"c", 300}}));
  EXPECT_EQ(snap->Resolve(*pick, rng, {a, b, c}).model, nullptr);
}

TEST(Resolve, EjectedModelsAreSkippedWhileOthersRemain) {
  auto snap = Build(kRandom);
  const Model* pick = snap->Find("pick");
  const Model* a = snap->Find("a");
  auto now = Clock::now();
  for (int i = 0; i < 5; ++i) a->health.Failed(now, 5, 30s);
  EXPECT_TRUE(a->health.Ejected(now));
  Rng rng(2);
  for (int i = 0; i < 200; ++i) EXPECT_NE(snap->Resolve(*pick, rng, {}, now).model, a);
  // Half-open after the ejection: picked again; one more failure ejects it again.
  bool picked = false;
  for (int i = 0; i < 200 && !picked; ++i) picked = snap->Resolve(*pick, rng, {}, now + 31s).model == a;
  EXPECT_TRUE(picked);
  a->health.Failed(now + 31s, 5, 30s);
  EXPECT_TRUE(a->health.Ejected(now + 32s));
  a->health.Succeeded();
  a->health.Failed(now + 70s, 5, 30s);
  EXPECT_FALSE(a->health.Ejected(now + 71s));
  // Everything ejected: still an answer (an ejected model beats none).
  for (const char* name : {"b", "c"}) {
    for (int i = 0; i < 5; ++i) snap->Find(name)->health.Failed(now + 70s, 1, 30s);
  }
  a->health.Failed(now + 70s, 1, 30s);
  EXPECT_NE(snap->Resolve(*pick, rng, {}, now + 71s).model, nullptr);
}

TEST(Resolve, ChainsOfTheActualPathOnly) {
  auto snap = Build(R"(
modelProviders:
  a: {type: trivial, processorChain: ca}
  b: {type: trivial, processorChain: cb}
  pick: {type: random, modelList: [a, b], processorChain: outer}
processorChains:
  ca: [{type: nosys}]
  cb: [{type: noass, role: user}]
  outer: [{type: nodanglingsys}]
)");
  Rng rng(3);
  Route route = snap->Resolve(*snap->Find("pick"), rng, {snap->Find("a")});
  ASSERT_EQ(route.model, snap->Find("b"));
  ASSERT_EQ(route.chains.size(), 2u);  // outer, then cb; nothing of the excluded branch
  EXPECT_EQ(route.chains[1], snap->Find("b")->chain);
}

}  // namespace
}  // namespace switchboard::routing
