#include "dataplane/routing/snapshot.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <re2/re2.h>

#include "common/config/validate.h"
#include "common/status.h"
#include "common/url.h"
#include "dataplane/providers/gemini.h"
#include "dataplane/providers/openai_compat.h"
#include "dataplane/providers/trivial.h"

namespace switchboard::routing {
namespace {

using config::v1::Config;

absl::Status PathError(const std::string& path, const std::string& message) {
  return absl::InvalidArgumentError(path + ": " + message);
}

std::chrono::milliseconds Seconds(bool has, double value, std::chrono::milliseconds fallback) {
  if (!has) return fallback;
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(value * 1000.0)));
}

Settings ResolveSettings(const Config& config) {
  Settings s;
  if (config.has_port()) s.port = static_cast<uint16_t>(config.port());
  const auto& server = config.server();
  if (server.has_body_limit_bytes()) s.body_limit_bytes = server.body_limit_bytes();
  s.header_timeout = Seconds(server.has_header_timeout_seconds(), server.header_timeout_seconds(), s.header_timeout);
  s.body_timeout = Seconds(server.has_body_timeout_seconds(), server.body_timeout_seconds(), s.body_timeout);
  s.idle_timeout = Seconds(server.has_idle_timeout_seconds(), server.idle_timeout_seconds(), s.idle_timeout);
  s.keep_alive_interval = Seconds(server.has_keep_alive_interval_seconds(), server.keep_alive_interval_seconds(),
                                  s.keep_alive_interval);
  s.shutdown_grace =
      Seconds(server.has_shutdown_grace_seconds(), server.shutdown_grace_seconds(), s.shutdown_grace);
  s.max_stream = Seconds(server.has_max_stream_seconds(), server.max_stream_seconds(), s.max_stream);
  const auto& up = config.upstream();
  s.connect_timeout = Seconds(up.has_connect_timeout_seconds(), up.connect_timeout_seconds(), s.connect_timeout);
  s.first_byte_timeout =
      Seconds(up.has_first_byte_timeout_seconds(), up.first_byte_timeout_seconds(), s.first_byte_timeout);
  s.upstream_idle_timeout = Seconds(up.has_idle_timeout_seconds(), up.idle_timeout_seconds(), s.upstream_idle_timeout);
  if (up.has_response_limit_bytes()) s.response_limit_bytes = up.response_limit_bytes();
  if (server.has_max_concurrent_requests()) s.max_concurrent_requests = server.max_concurrent_requests();
  s.key_cooldown = Seconds(up.has_key_cooldown_seconds(), up.key_cooldown_seconds(), s.key_cooldown);
  s.key_disable = Seconds(up.has_key_disable_seconds(), up.key_disable_seconds(), s.key_disable);
  if (up.has_eject_after_failures()) s.eject_after_failures = static_cast<int>(up.eject_after_failures());
  s.eject_duration = Seconds(up.has_eject_seconds(), up.eject_seconds(), s.eject_duration);
  return s;
}

RetryPolicy ResolveRetry(const config::v1::RetryPolicy& own, const config::v1::RetryPolicy& global) {
  RetryPolicy policy;
  for (const auto* p : {&global, &own}) {
    if (p->has_attempts()) policy.attempts = static_cast<int>(p->attempts());
    if (p->has_backoff_ms()) policy.backoff = std::chrono::milliseconds(std::llround(p->backoff_ms()));
    if (p->has_max_backoff_ms()) policy.max_backoff = std::chrono::milliseconds(std::llround(p->max_backoff_ms()));
  }
  return policy;
}

template <typename Map>
std::vector<std::string> SortedKeys(const Map& map) {
  std::vector<std::string> keys;
  keys.reserve(map.size());
  for (const auto& [k, v] : map) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace

std::string_view ProviderTypeName(ProviderType type) {
  switch (type) {
    case ProviderType::kGenericOai: return "genericoai";
    case ProviderType::kOpenRouter: return "openrouter";
    case ProviderType::kGemini: return "gemini";
    case ProviderType::kRandom: return "random";
    case ProviderType::kTrivial: return "trivial";
  }
  return "unknown";
}

namespace {
int64_t Nanos(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

void Key::RestUntil(Clock::time_point until) const {
  // Keep the later of two rests (two requests may report the same key).
  int64_t want = Nanos(until);
  int64_t seen = resting_until_ns_.load(std::memory_order_relaxed);
  while (seen < want && !resting_until_ns_.compare_exchange_weak(seen, want, std::memory_order_relaxed)) {
  }
}

bool Key::Resting(Clock::time_point now) const {
  return resting_until_ns_.load(std::memory_order_relaxed) > Nanos(now);
}

Clock::time_point Key::resting_until() const {
  return Clock::time_point(std::chrono::nanoseconds(resting_until_ns_.load(std::memory_order_relaxed)));
}

const Key* KeyPool::Next(Clock::time_point now, Clock::time_point* ready_at) const {
  if (keys_.empty()) return nullptr;
  uint64_t start = next_.fetch_add(1, std::memory_order_relaxed);
  Clock::time_point earliest = Clock::time_point::max();
  for (size_t i = 0; i < keys_.size(); ++i) {
    const Key& key = *keys_[(start + i) % keys_.size()];
    if (!key.Resting(now)) return &key;
    earliest = std::min(earliest, key.resting_until());
  }
  if (ready_at != nullptr) *ready_at = earliest;
  return nullptr;
}

bool KeyPool::AnyReady(Clock::time_point now) const {
  if (keys_.empty()) return true;
  for (const auto& key : keys_) {
    if (!key->Resting(now)) return true;
  }
  return false;
}

void ModelHealth::Succeeded() const { consecutive_failures_.store(0, std::memory_order_relaxed); }

void ModelHealth::Failed(Clock::time_point now, int eject_after, Clock::duration eject_for) const {
  int failures = consecutive_failures_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (failures >= eject_after) {
    // Ejected; after the ejection one attempt goes through (half-open), and
    // since the count stays at or above the threshold, one more failure
    // ejects it again at once.
    ejected_until_ns_.store(Nanos(now + eject_for), std::memory_order_relaxed);
  }
}

bool ModelHealth::Ejected(Clock::time_point now) const {
  return ejected_until_ns_.load(std::memory_order_relaxed) > Nanos(now);
}

absl::StatusOr<std::shared_ptr<const Snapshot>> Snapshot::Build(const Config& config, const Options& options) {
  RETURN_IF_ERROR(config::ValidateConfig(config));
  auto getenv = options.getenv ? options.getenv : [](const char* name) -> const char* { return std::getenv(name); };

  std::shared_ptr<Snapshot> snap(new Snapshot());
  snap->config_ = config;
  snap->settings_ = ResolveSettings(config);

  // Chains, by name.
  std::map<std::string, const processors::Chain*, std::less<>> chains;
  for (const auto& name : SortedKeys(config.processor_chains())) {
    ASSIGN_OR_RETURN(auto chain, processors::BuildChain(config.processor_chains().at(name), "processorChains." + name));
    chains[name] = chain.get();
    snap->chains_.push_back(std::move(chain));
  }

  auto* gemini = snap->adapters_.emplace_back(std::make_unique<providers::GeminiAdapter>()).get();
  auto* openai = snap->adapters_.emplace_back(std::make_unique<providers::OpenAiCompatAdapter>()).get();
  auto* openrouter =
      snap->adapters_
          .emplace_back(std::make_unique<providers::OpenAiCompatAdapter>(std::vector<std::pair<std::string, std::string>>{
              {"HTTP-Referer", "https://github.com/switchboard-router/switchboard"}, {"X-Title", "Switchboard"}}))
          .get();

  // Keys: name -> compiled targets and value.
  struct KeySource {
    std::shared_ptr<Key> key = std::make_shared<Key>();
    std::vector<std::unique_ptr<RE2>> targets;
  };
  std::vector<KeySource> keys;
  for (const auto& name : SortedKeys(config.key_providers())) {
    const auto& kp = config.key_providers().at(name);
    std::string path = "keyProviders." + name;
    KeySource source;
    source.key->provider = name;
    if (kp.type() == "literal") {
      source.key->value = kp.key();
    } else {
      const char* value = getenv(kp.env_var().c_str());
      if (value == nullptr) {
        return PathError(path + ".envVar", "environment variable " + kp.env_var() + " is not set");
      }
      if (*value == '\0') return PathError(path + ".envVar", "environment variable " + kp.env_var() + " is empty");
      source.key->value = value;
    }
    for (int i = 0; i < kp.model_targets_size(); ++i) {
      auto re = std::make_unique<RE2>(kp.model_targets(i), RE2::Quiet);
      if (!re->ok()) {
        return PathError(path + ".modelTargets[" + std::to_string(i) + "]", "RE2 cannot compile '" +
                                                                                 kp.model_targets(i) + "': " + re->error());
      }
      source.targets.push_back(std::move(re));
    }
    keys.push_back(std::move(source));
  }

  // Models: create all first so random providers can point at their members.
  for (const auto& name : SortedKeys(config.model_providers())) {
    auto model = std::make_unique<Model>();
    model->name = name;
    snap->by_name_[name] = model.get();
    snap->models_.push_back(std::move(model));
  }

  for (auto& model_ptr : snap->models_) {
    Model& model = *model_ptr;
    const auto& mp = config.model_providers().at(model.name);
    std::string path = "modelProviders." + model.name;
    model.retry = ResolveRetry(mp.retry(), config.retry());
    if (mp.has_prefill() && !mp.prefill().empty()) model.prefill = mp.prefill();
    model.prefill_disabled = mp.has_enable_prefill() && !mp.enable_prefill();
    if (!mp.processor_chain().empty()) {
      auto it = chains.find(mp.processor_chain());
      if (it == chains.end()) {
        return PathError(path + ".processorChain", "unknown processor chain '" + mp.processor_chain() + "'");
      }
      model.chain = it->second;
    }
    const std::string& type = mp.type();
    if (type == "genericoai" || type == "openrouter" || type == "gemini") {
      std::string url;
      if (type == "gemini") {
        model.type = ProviderType::kGemini;
        model.adapter = gemini;
        url = providers::NormalizeGeminiUrl(mp.url().empty() ? providers::kGeminiDefaultUrl : mp.url());
        providers::GeminiOptions& options = model.target.gemini;
        if (mp.has_system_instruction()) options.system_instruction = mp.system_instruction();
        options.safety_thresholds.insert(mp.safety_settings().begin(), mp.safety_settings().end());
        if (mp.has_thinking_budget()) options.thinking_budget = mp.thinking_budget();
        if (mp.has_include_thoughts()) options.include_thoughts = mp.include_thoughts();
      } else if (type == "openrouter") {
        model.type = ProviderType::kOpenRouter;
        model.adapter = openrouter;
        url = providers::kOpenRouterUrl;
      } else {
        model.type = ProviderType::kGenericOai;
        model.adapter = openai;
        url = providers::NormalizeOpenAiUrl(mp.url().empty() ? providers::kOpenAiDefaultUrl : mp.url());
      }
      auto parsed = ParseUrl(url);
      if (!parsed.ok()) return PathError(path + ".url", std::string(parsed.status().message()));
      model.target.url = *std::move(parsed);
      model.target.model_name = mp.model_name();
      if (mp.has_mistral_prefix()) {
        model.mistral_prefix = mp.mistral_prefix();
      } else {
        std::string lower = mp.model_name();
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        model.mistral_prefix = type != "gemini" && lower.find("mistral") != std::string::npos;
      }
      for (const auto& source : keys) {
        for (const auto& re : source.targets) {
          if (RE2::PartialMatch(model.name, *re)) {
            model.keys.Add(source.key);
            break;
          }
        }
      }
    } else if (type == "trivial") {
      model.type = ProviderType::kTrivial;
      model.output = mp.has_output() ? mp.output() : std::string(providers::kTrivialDefaultOutput);
      double delay_ms = mp.has_chunk_delay_ms() ? mp.chunk_delay_ms() : 40.0;
      model.chunk_delay = std::chrono::microseconds(static_cast<int64_t>(std::llround(delay_ms * 1000.0)));
    } else if (type == "random") {
      model.type = ProviderType::kRandom;
      if (mp.model_weights_size() > 0) {
        for (const auto& member : SortedKeys(mp.model_weights())) {
          model.members.push_back(snap->by_name_.at(member));
          model.weights.push_back(mp.model_weights().at(member));
        }
      } else {
        for (const auto& member : mp.model_list()) {
          model.members.push_back(snap->by_name_.at(member));
          model.weights.push_back(1.0);
        }
      }
      model.picker = WeightedPicker(model.weights);
    } else {
      return PathError(path + ".type", "unknown model provider type '" + type + "'");
    }
  }
  for (const auto& model : snap->models_) {
    if (model->adapter != nullptr && model->adapter->PassesTextThrough() && model->chain == nullptr) {
      snap->passes_text_through_ = true;
    }
  }
  ASSIGN_OR_RETURN(snap->client_, BuildClientSettings(
                                       config, [&snap](std::string_view name) { return snap->Find(name); }, getenv));
  return std::shared_ptr<const Snapshot>(std::move(snap));
}

const Model* Snapshot::Find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

namespace {

// Picks a concrete model under `model` avoiding `exclude` (and, when
// `avoid_ejected`, ejected models), appending chains outermost first. Returns
// false when nothing under `model` qualifies.
bool PickAvoiding(const Model& model, Rng& rng, const std::vector<const Model*>& exclude, bool avoid_ejected,
                  Clock::time_point now, int depth, Route& route) {
  if (model.type != ProviderType::kRandom) {
    if (std::find(exclude.begin(), exclude.end(), &model) != exclude.end()) return false;
    if (avoid_ejected && model.health.Ejected(now)) return false;
    if (model.chain != nullptr) route.chains.push_back(model.chain);
    route.model = &model;
    return true;
  }
  if (depth > 64) return false;  // validation rejects cycles; this only guards against a bug
  std::vector<double> weights = model.weights;
  size_t chains_before = route.chains.size();
  for (;;) {
    double total = 0;
    for (double w : weights) total += w;
    if (total <= 0) return false;
    double x = std::uniform_real_distribution<double>(0, total)(rng);
    size_t i = 0;
    while (i + 1 < weights.size() && (x >= weights[i] || weights[i] == 0)) {
      x -= weights[i];
      ++i;
    }
    while (weights[i] == 0) --i;  // rounding at the end of the range: the last usable one
    route.chains.resize(chains_before);
    if (model.chain != nullptr) route.chains.push_back(model.chain);
    if (PickAvoiding(*model.members[i], rng, exclude, avoid_ejected, now, depth + 1, route)) return true;
    weights[i] = 0;  // nothing usable down there: pick among the rest
  }
}

}  // namespace

Route Snapshot::Resolve(const Model& start, Rng& rng, const std::vector<const Model*>& exclude,
                        Clock::time_point now) const {
  Route route;
  const Model* model = &start;
  bool fast = exclude.empty();
  // The common case: nothing excluded, nobody ejected on the way down.
  for (int depth = 0; fast && depth < 64 && model->type == ProviderType::kRandom; ++depth) {
    if (model->chain != nullptr) route.chains.push_back(model->chain);
    model = model->members[model->picker.Pick(rng)];
  }
  if (fast && !(start.type == ProviderType::kRandom && model->health.Ejected(now))) {
    if (model->chain != nullptr) route.chains.push_back(model->chain);
    route.model = model;
    return route;
  }
  // Avoid failed and ejected models; if only ejected ones are left, use them
  // (an ejected model beats no answer). A non-random model is never skipped
  // for being ejected: there is nothing else to send to.
  for (bool avoid_ejected : {true, false}) {
    route = Route();
    if (PickAvoiding(start, rng, exclude, avoid_ejected && start.type == ProviderType::kRandom, now, 0, route)) {
      return route;
    }
  }
  return Route();
}

}  // namespace switchboard::routing
