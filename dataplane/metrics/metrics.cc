#include "dataplane/metrics/metrics.h"

#include <array>
#include <atomic>
#include <initializer_list>
#include <limits>
#include <map>
#include <mutex>
#include <unordered_map>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "dataplane/routing/snapshot.h"

namespace switchboard::metrics {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

// LLM requests last from tens of milliseconds (a cached or tiny answer) to
// many minutes (a long reasoning stream).
const Histogram::BucketBoundaries kDurationBuckets = {0.025, 0.05, 0.1, 0.25, 0.5, 1,   2.5, 5,
                                                      10,    20,   30,  60,   120, 300, 600};
const Histogram::BucketBoundaries kFirstTokenBuckets = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                                        2,    5,     10,   20,  30,   60,  120};

constexpr std::array<std::string_view, 5> kCodeClasses = {"1xx", "2xx", "3xx", "4xx", "5xx"};
constexpr std::string_view kNotRouted = "(none)";

int CodeClassIndex(int status) {
  if (status < 100 || status > 599) return 4;  // nothing sent: counted as a server-side failure
  return status / 100 - 1;
}

std::string_view LabelOr(std::string_view value, std::string_view fallback) {
  return value.empty() ? fallback : value;
}

HistogramData ToData(const Histogram& histogram) {
  prometheus::ClientMetric metric = histogram.Collect();
  HistogramData data;
  data.count = metric.histogram.sample_count;
  data.sum = metric.histogram.sample_sum;
  for (const auto& bucket : metric.histogram.bucket) {
    if (bucket.upper_bound == std::numeric_limits<double>::infinity()) continue;
    data.upper_bounds.push_back(bucket.upper_bound);
    data.cumulative_counts.push_back(bucket.cumulative_count);
  }
  return data;
}

}  // namespace

std::string_view AttemptOutcomeName(AttemptOutcome outcome) {
  switch (outcome) {
    case AttemptOutcome::kOk: return "ok";
    case AttemptOutcome::kErrorStatus: return "error_status";
    case AttemptOutcome::kTimeout: return "timeout";
    case AttemptOutcome::kConnectFailure: return "connect_failure";
    case AttemptOutcome::kBrokenResponse: return "broken_response";
    case AttemptOutcome::kClientDisconnect: return "client_disconnect";
  }
  return "unknown";
}

struct DataPlaneMetrics::Impl {
  // The series of one routed model, looked up once per request.
  struct ModelSeries {
    Histogram* duration = nullptr;
    Histogram* first_token = nullptr;
    Counter* prompt_tokens = nullptr;
    Counter* completion_tokens = nullptr;
    std::array<std::atomic<uint64_t>, kCodeClasses.size()> by_class{};
  };

  Impl()
      : registry(std::make_shared<prometheus::Registry>()),
        requests(prometheus::BuildCounter()
                     .Name("switchboard_requests_total")
                     .Help("Chat completion requests, by requested model, routed model, provider type, client "
                           "profile and status code class")
                     .Register(*registry)),
        duration(prometheus::BuildHistogram()
                     .Name("switchboard_request_duration_seconds")
                     .Help("Time from the request's arrival to its last byte, per routed model")
                     .Register(*registry)),
        first_token(prometheus::BuildHistogram()
                        .Name("switchboard_time_to_first_token_seconds")
                        .Help("Time from the request's arrival to the first generated content, per routed model")
                        .Register(*registry)),
        tokens(prometheus::BuildCounter()
                   .Name("switchboard_tokens_total")
                   .Help("Tokens reported by the upstream's usage, per routed model and direction (prompt, "
                         "completion)")
                   .Register(*registry)),
        attempts(prometheus::BuildCounter()
                     .Name("switchboard_upstream_attempts_total")
                     .Help("Upstream attempts by routed model and outcome")
                     .Register(*registry)),
        active(prometheus::BuildGauge()
                   .Name("switchboard_active_requests")
                   .Help("Chat completion requests being served")
                   .Register(*registry)
                   .Add({})),
        active_streams(prometheus::BuildGauge()
                           .Name("switchboard_active_streams")
                           .Help("Streamed chat completion requests being served")
                           .Register(*registry)
                           .Add({})),
        weights(prometheus::BuildGauge()
                    .Name("switchboard_route_weight")
                    .Help("Current weight of each target of each random model provider")
                    .Register(*registry)),
        config_version(prometheus::BuildGauge()
                           .Name("switchboard_config_version")
                           .Help("Version of the config snapshot being served")
                           .Register(*registry)
                           .Add({})),
        config_updates(prometheus::BuildCounter()
                           .Name("switchboard_config_updates_total")
                           .Help("Config updates by result (accepted, rejected)")
                           .Register(*registry)),
        accepted(config_updates.Add({{"result", "accepted"}})),
        rejected(config_updates.Add({{"result", "rejected"}})) {}

  // Family::Add hashes and copies every label on each call; the counters a
  // request touches are found by one joined key instead (label sets come from
  // config names, so the cache stays as small as the families).
  struct CounterCache {
    std::mutex mu;
    std::unordered_map<std::string, Counter*> by_key;
  };
  static Counter& Cached(Family<Counter>& family, CounterCache& cache,
                         std::initializer_list<std::pair<const char*, std::string_view>> labels) {
    thread_local std::string key;
    key.clear();
    for (const auto& [name, value] : labels) {
      key.append(value);
      key.push_back('\0');
    }
    {
      std::lock_guard<std::mutex> lock(cache.mu);
      auto it = cache.by_key.find(key);
      if (it != cache.by_key.end()) return *it->second;
    }
    std::map<std::string, std::string> map;
    for (const auto& [name, value] : labels) map.emplace(name, std::string(value));
    Counter& counter = family.Add(map);
    std::lock_guard<std::mutex> lock(cache.mu);
    cache.by_key.emplace(key, &counter);
    return counter;
  }

  ModelSeries& Series(const std::string& model) {
    std::lock_guard<std::mutex> lock(mu);
    auto& slot = series[model];
    if (!slot) {
      slot = std::make_unique<ModelSeries>();
      slot->duration = &duration.Add({{"routed_model", model}}, kDurationBuckets);
      slot->first_token = &first_token.Add({{"routed_model", model}}, kFirstTokenBuckets);
      slot->prompt_tokens = &tokens.Add({{"routed_model", model}, {"direction", "prompt"}});
      slot->completion_tokens = &tokens.Add({{"routed_model", model}, {"direction", "completion"}});
    }
    return *slot;
  }

  std::shared_ptr<prometheus::Registry> registry;
  Family<Counter>& requests;
  Family<Histogram>& duration;
  Family<Histogram>& first_token;
  Family<Counter>& tokens;
  Family<Counter>& attempts;
  Gauge& active;
  Gauge& active_streams;
  Family<Gauge>& weights;
  Gauge& config_version;
  Family<Counter>& config_updates;
  Counter& accepted;
  Counter& rejected;

  CounterCache requests_cache;
  CounterCache attempts_cache;
  mutable std::mutex mu;  // guards `series` and `weight_gauges`
  std::unordered_map<std::string, std::unique_ptr<ModelSeries>> series;
  std::vector<Gauge*> weight_gauges;
};

DataPlaneMetrics::DataPlaneMetrics() : impl_(std::make_unique<Impl>()) {}
DataPlaneMetrics::~DataPlaneMetrics() = default;

void DataPlaneMetrics::RequestStarted(bool stream) {
  impl_->active.Increment();
  if (stream) impl_->active_streams.Increment();
}

void DataPlaneMetrics::RequestFinished(const RequestRecord& record, bool stream) {
  impl_->active.Decrement();
  if (stream) impl_->active_streams.Decrement();
  int code_class = CodeClassIndex(record.status);
  Impl::Cached(impl_->requests, impl_->requests_cache,
               {{"requested_model", LabelOr(record.requested_model, kUnknownModel)},
                {"routed_model", LabelOr(record.routed_model, kNotRouted)},
                {"provider_type", LabelOr(record.provider_type, kNotRouted)},
                {"client_profile", LabelOr(record.client_profile, "default")},
                {"code_class", kCodeClasses[code_class]}})
      .Increment();
  if (record.routed_model.empty()) return;
  Impl::ModelSeries& series = impl_->Series(record.routed_model);
  series.by_class[code_class].fetch_add(1, std::memory_order_relaxed);
  series.duration->Observe(record.duration.count());
  if (record.time_to_first_token) series.first_token->Observe(record.time_to_first_token->count());
  if (record.prompt_tokens) series.prompt_tokens->Increment(static_cast<double>(*record.prompt_tokens));
  if (record.completion_tokens) series.completion_tokens->Increment(static_cast<double>(*record.completion_tokens));
}

void DataPlaneMetrics::UpstreamAttempt(std::string_view routed_model, AttemptOutcome outcome) {
  Impl::Cached(impl_->attempts, impl_->attempts_cache,
               {{"routed_model", routed_model}, {"outcome", AttemptOutcomeName(outcome)}})
      .Increment();
}

void DataPlaneMetrics::ConfigApplied(const routing::Snapshot& snapshot, uint64_t version) {
  impl_->accepted.Increment();
  impl_->config_version.Set(static_cast<double>(version));
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (Gauge* gauge : impl_->weight_gauges) impl_->weights.Remove(gauge);
  impl_->weight_gauges.clear();
  for (const auto& model : snapshot.models()) {
    if (model->type != routing::ProviderType::kRandom) continue;
    for (size_t i = 0; i < model->members.size(); ++i) {
      Gauge& gauge = impl_->weights.Add({{"random_model", model->name}, {"target", model->members[i]->name}});
      gauge.Set(model->weights[i]);
      impl_->weight_gauges.push_back(&gauge);
    }
  }
}

void DataPlaneMetrics::ConfigRejected() { impl_->rejected.Increment(); }

std::string DataPlaneMetrics::Serialize() const {
  return prometheus::TextSerializer().Serialize(impl_->registry->Collect());
}

std::vector<ModelStatsData> DataPlaneMetrics::ModelStats() const {
  std::vector<ModelStatsData> out;
  std::lock_guard<std::mutex> lock(impl_->mu);
  out.reserve(impl_->series.size());
  for (const auto& [name, series] : impl_->series) {
    ModelStatsData data;
    data.model = name;
    for (size_t i = 0; i < kCodeClasses.size(); ++i) {
      uint64_t n = series->by_class[i].load(std::memory_order_relaxed);
      if (n > 0) data.requests_by_code_class[std::string(kCodeClasses[i])] = n;
    }
    data.prompt_tokens = static_cast<uint64_t>(series->prompt_tokens->Value());
    data.completion_tokens = static_cast<uint64_t>(series->completion_tokens->Value());
    data.duration_seconds = ToData(*series->duration);
    data.time_to_first_token_seconds = ToData(*series->first_token);
    out.push_back(std::move(data));
  }
  return out;
}

}  // namespace switchboard::metrics
