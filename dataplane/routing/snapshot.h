#pragma once
// A config snapshot: the immutable, validated, ready-to-route form of a Config.
//
// Built off the request path (at start, on file reload, on a control-plane push)
// by Snapshot::Build, which is the one place a config is fully validated: env
// keys resolved, regexes compiled, processors built. Published as
// shared_ptr<const Snapshot>; every request keeps the snapshot it started with.
// All methods are const and thread-safe; KeyPool's rotation uses an atomic.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/random.h"
#include "dataplane/processors/registry.h"
#include "dataplane/providers/provider.h"
#include "dataplane/routing/profiles.h"
#include "dataplane/routing/retry.h"
#include "switchboard/config/v1/config.pb.h"

namespace switchboard::routing {

enum class ProviderType { kGenericOai, kOpenRouter, kGemini, kRandom, kTrivial };
std::string_view ProviderTypeName(ProviderType type);

using Clock = std::chrono::steady_clock;

struct Key {
  std::string provider;  // key provider name: what logs may show
  std::string value;     // the secret: never logged, never returned

  // A key the upstream refused (429: rate limited; 401/403: rejected) rests
  // until then. Shared by every model whose pool holds the key, and by every
  // thread; lives as long as the snapshot.
  void RestUntil(Clock::time_point until) const;
  bool Resting(Clock::time_point now) const;
  Clock::time_point resting_until() const;

 private:
  mutable std::atomic<int64_t> resting_until_ns_{0};
};

// The keys of one model, used in turn (round robin per model), skipping keys
// that rest.
class KeyPool {
 public:
  void Add(std::shared_ptr<const Key> key) { keys_.push_back(std::move(key)); }
  // nullptr when the pool is empty, or when every key rests (then
  // `*ready_at`, when given, is when the first one is usable again).
  const Key* Next(Clock::time_point now = Clock::now(), Clock::time_point* ready_at = nullptr) const;
  size_t size() const { return keys_.size(); }
  // A key is usable now (true for an empty pool: requests go without a key).
  bool AnyReady(Clock::time_point now) const;

 private:
  std::vector<std::shared_ptr<const Key>> keys_;
  mutable std::atomic<uint64_t> next_{0};
};

// Consecutive failures of one concrete model; after `eject_after` in a row,
// random providers skip it until the ejection ends, then it gets one try
// (half-open) and a failure ejects it again. Thread-safe.
class ModelHealth {
 public:
  void Succeeded() const;
  void Failed(Clock::time_point now, int eject_after, Clock::duration eject_for) const;
  bool Ejected(Clock::time_point now) const;

 private:
  mutable std::atomic<int> consecutive_failures_{0};
  mutable std::atomic<int64_t> ejected_until_ns_{0};
};

struct Model {
  std::string name;
  ProviderType type = ProviderType::kTrivial;
  const processors::Chain* chain = nullptr;  // owned by the snapshot; may be null

  // genericoai, openrouter, gemini
  providers::Target target;
  const providers::Adapter* adapter = nullptr;
  KeyPool keys;
  ModelHealth health;

  // Attempts for a request that asks for this model (random: across its members).
  RetryPolicy retry;

  // random
  std::vector<const Model*> members;
  std::vector<double> weights;  // parallel to members
  WeightedPicker picker;

  // Prefill (client profiles; see ClientProfile): this model's own prefill
  // content, whether prefill is off for it, and whether a prefilled assistant
  // message carries Mistral's `"prefix": true`.
  std::optional<std::string> prefill;
  bool prefill_disabled = false;
  bool mistral_prefix = false;

  // trivial
  std::string output;
  std::chrono::microseconds chunk_delay{0};
};

// Server and upstream settings with defaults applied.
struct Settings {
  uint16_t port = 3000;
  uint64_t body_limit_bytes = 8 << 20;
  std::chrono::milliseconds header_timeout{30'000};
  std::chrono::milliseconds body_timeout{60'000};
  std::chrono::milliseconds idle_timeout{75'000};
  std::chrono::milliseconds keep_alive_interval{5'000};
  std::chrono::milliseconds shutdown_grace{25'000};
  std::chrono::milliseconds max_stream{1'800'000};
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds first_byte_timeout{300'000};
  std::chrono::milliseconds upstream_idle_timeout{120'000};
  uint64_t response_limit_bytes = 32 << 20;
  uint32_t max_concurrent_requests = 4096;
  std::chrono::milliseconds key_cooldown{30'000};
  std::chrono::milliseconds key_disable{600'000};
  int eject_after_failures = 5;
  std::chrono::milliseconds eject_duration{30'000};
};

// A concrete model to send to, and the chains to run, outermost first.
struct Route {
  const Model* model = nullptr;
  std::vector<const processors::Chain*> chains;
};

class Snapshot {
 public:
  struct Options {
    // Looks up environment variables for `environment` keys; nullptr result =
    // unset. Defaults to ::getenv.
    std::function<const char*(const char*)> getenv;
  };

  static absl::StatusOr<std::shared_ptr<const Snapshot>> Build(const config::v1::Config& config,
                                                               const Options& options = {});

  // nullptr when no model provider has that name.
  const Model* Find(std::string_view name) const;
  // Follows random providers down to a concrete model, collecting chains.
  // Concrete models in `exclude` (failed earlier in this request) are never
  // picked; ejected ones only when nothing else is left. route.model is null
  // when every target is excluded.
  Route Resolve(const Model& model, Rng& rng, const std::vector<const Model*>& exclude = {},
                Clock::time_point now = Clock::now()) const;

  // Every model provider, sorted by name.
  const std::vector<std::unique_ptr<Model>>& models() const { return models_; }
  const Settings& settings() const { return settings_; }
  const ClientSettings& client() const { return client_; }
  const config::v1::Config& config() const { return config_; }
  // Whether some model can send a body on as the client wrote it: an
  // OpenAI-compatible one with no processor chain of its own. When none can,
  // every body needs its document (a tree, or Gemini's translation), and the
  // chat handler has simdjson read it first (ScanChatBody's `quick_first`).
  bool passes_text_through() const { return passes_text_through_; }

 private:
  Snapshot() = default;

  config::v1::Config config_;
  Settings settings_;
  ClientSettings client_;
  std::vector<std::unique_ptr<Model>> models_;
  std::map<std::string, Model*, std::less<>> by_name_;
  std::vector<std::shared_ptr<const processors::Chain>> chains_;
  std::vector<std::unique_ptr<providers::Adapter>> adapters_;
  bool passes_text_through_ = false;
};

}  // namespace switchboard::routing

namespace switchboard::routing {

// Holds the current snapshot; swapped atomically when a new config is built.
// Thread-safe. Readers keep the shared_ptr for the life of their request.
class SnapshotStore {
 public:
  std::shared_ptr<const Snapshot> Get() const { return current_.load(std::memory_order_acquire); }
  void Set(std::shared_ptr<const Snapshot> snapshot) { current_.store(std::move(snapshot), std::memory_order_release); }

 private:
  std::atomic<std::shared_ptr<const Snapshot>> current_;
};

}  // namespace switchboard::routing
