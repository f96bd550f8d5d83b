// POST /v1/chat/completions: parse, route, run the chains, then answer from the
// trivial provider or relay to the upstream — streamed event by event, with
// keep-alive comments while the upstream thinks, and the upstream request
// cancelled the moment the client leaves.

#include <ctime>

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "dataplane/processors/insert_message.h"
#include "dataplane/providers/chat_scan.h"
#include "dataplane/routing/retry.h"
#include "dataplane/providers/prefill.h"
#include "dataplane/providers/sse.h"
#include "dataplane/providers/trivial.h"
#include "dataplane/server/chat_body.h"
#include "dataplane/server/internal.h"

namespace switchboard::server {
namespace {

using nlohmann::json;
using providers::ClientError;

constexpr std::string_view kDone = "data: [DONE]\n\n";
constexpr std::string_view kKeepAlive = ": keep-alive\n\n";
constexpr uint64_t kErrorBodyLimit = 1 << 20;
// How long a finished stream waits for the end of the upstream's HTTP body
// (it comes within microseconds; an upstream that holds it open costs its
// clients this much at the end of each stream).
constexpr std::chrono::milliseconds kFinishBodyWait{50};
// A Retry-After longer than this is passed to the client instead of waited out.
constexpr std::chrono::seconds kLongestRetryAfter{10};

// prefix + 24 letters and digits. Each draw of the generator gives ten of them
// (its 64 bits as base-62 digits: 62^10 < 2^64), so three draws instead of 24.
std::string RandomId(Rng& rng, std::string_view prefix) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  constexpr uint64_t kBase = sizeof(kChars) - 1;
  constexpr size_t kLength = 24;
  constexpr int kDigitsPerDraw = 10;
  std::string id(prefix.size() + kLength, '\0');
  prefix.copy(id.data(), prefix.size());
  char* out = id.data() + prefix.size();
  uint64_t bits = 0;
  int left = 0;
  for (size_t i = 0; i < kLength; ++i) {
    if (left == 0) {
      bits = rng();
      left = kDigitsPerDraw;
    }
    out[i] = kChars[bits % kBase];
    bits /= kBase;
    --left;
  }
  return id;
}

// What one request did, for its log line and metrics.
struct Outcome {
  std::string requested_model;  // as the client sent it (echoed in responses, never logged)
  std::string requested_name;   // the model provider it resolved to (a config name), or empty
  std::string routed_model;
  std::string provider_type;
  std::string upstream_model;  // the routed model's modelName
  int attempts = 0;            // upstream attempts made
  bool stream = false;
  providers::Usage usage;
  std::string upstream_failure;
  std::chrono::steady_clock::time_point first_token{};
};

// The warnings of an adapter or translator (provider.h): one log line each.
void LogWarnings(const RequestContext& ctx, const Outcome& outcome, std::string_view msg,
                 const std::vector<std::string>& warnings) {
  for (const auto& warning : warnings) {
    log::Warn(msg, {{"id", ctx.responder.request_id()}, {"model", outcome.routed_model}, {"warning", warning}});
  }
}

std::string SseError(const ClientError& error) {
  std::string out;
  providers::AppendSseData(out, providers::ErrorBody(error));
  return out;
}

ClientError FromUpstreamStatus(const absl::Status& status) {
  if (absl::IsDeadlineExceeded(status)) {
    return {504, "upstream_error", "upstream_timeout", std::string(status.message()), ""};
  }
  if (absl::IsResourceExhausted(status)) {
    return {502, "upstream_error", "upstream_response_too_large", std::string(status.message()), ""};
  }
  return {502, "upstream_error", "upstream_unavailable", std::string(status.message()), ""};
}

// Ends a stream that already started with an error event and [DONE].
net::awaitable<void> FailStream(Responder& r, ClientError error) {
  std::string out = SseError(error);
  out += kDone;
  co_await r.EndSse(out);
}

// stream_options.include_usage
bool IncludeUsage(const json& body) {
  auto it = body.find("stream_options");
  if (it == body.end() || !it->is_object()) return false;
  auto flag = it->find("include_usage");
  return flag != it->end() && flag->is_boolean() && flag->get<bool>();
}

net::awaitable<void> ServeTrivial(RequestContext& ctx, const routing::Model& model, const json& body,
                                  Outcome& outcome) {
  providers::TrivialResponse response;
  response.id = RandomId(ctx.worker.rng, "chatcmpl-");
  response.model = outcome.requested_model;
  response.created = static_cast<int64_t>(std::time(nullptr));
  response.output = model.output;
  response.prompt_tokens = providers::EstimateTokens(ctx.request.body());
  int64_t completion = providers::EstimateTokens(model.output);
  outcome.usage = {response.prompt_tokens, completion, response.prompt_tokens + completion};
  Responder& r = ctx.responder;
  if (!outcome.stream) {
    outcome.first_token = std::chrono::steady_clock::now();
    co_await r.SendJson(200, providers::TrivialCompletionBody(response));
    co_return;
  }
  bool include_usage = IncludeUsage(body);
  if (!co_await r.BeginSse()) co_return;
  net::steady_timer timer(ctx.worker.ioc);
  bool first = true;
  for (const auto& chunk : providers::TrivialChunks(response, include_usage)) {
    if (!first && model.chunk_delay.count() > 0) {
      timer.expires_after(model.chunk_delay);
      co_await timer.async_wait(kUseTuple);
      if (ctx.watch.client_gone()) co_return;
    }
    first = false;
    std::string out;
    providers::AppendSseData(out, chunk);
    if (!co_await r.SendSse(out)) co_return;
    if (outcome.first_token == std::chrono::steady_clock::time_point{}) outcome.first_token = std::chrono::steady_clock::now();
  }
  co_await r.EndSse(kDone);
}

}  // namespace

KeepAliveWait::KeepAliveWait(KeepAlives& all, Responder& responder, upstream::Call& call,
                             std::chrono::milliseconds interval)
    : all_(all), responder_(responder), call_(call), interval_(interval) {
  if (interval_.count() <= 0) return;
  due_ = KeepAlives::Clock::now() + interval_;
  all_.Add(*this);
}

void KeepAlives::Add(KeepAliveWait& wait) {
  wait.prev_ = nullptr;
  wait.next_ = first_;
  if (first_ != nullptr) first_->prev_ = &wait;
  first_ = &wait;
  wait.linked_ = true;
  // With one interval for all, a timer armed already fires no later than this
  // request's first comment is due: nothing to do.
  if (!armed_ || wait.due_ < armed_for_) Arm(wait.due_);
}

void KeepAlives::Remove(KeepAliveWait& wait) {
  if (!wait.linked_) return;
  if (wait.prev_ != nullptr) {
    wait.prev_->next_ = wait.next_;
  } else {
    first_ = wait.next_;
  }
  if (wait.next_ != nullptr) wait.next_->prev_ = wait.prev_;
  wait.linked_ = false;
  wait.prev_ = wait.next_ = nullptr;
  // The timer stays armed: when it fires it finds no comment due (or none
  // waiting), and either arms itself for the next or stops.
}

void KeepAlives::Arm(Clock::time_point when) {
  armed_ = true;
  armed_for_ = when;
  timer_.expires_at(when);  // (a wait pending for a later time ends with operation_aborted)
  timer_.async_wait([this](const beast::error_code& ec) {
    if (!ec) Tick();
  });
}

void KeepAlives::Tick() {
  armed_ = false;
  const auto now = Clock::now();
  auto next = Clock::time_point::max();
  for (KeepAliveWait* wait = first_; wait != nullptr;) {
    KeepAliveWait* after = wait->next_;
    if (wait->due_ <= now) {
      if (!wait->responder_.SendSseCommentNow(kKeepAlive)) {
        Remove(*wait);
        wait->call_.Cancel();  // the client is gone: so is the request upstream
        wait = after;
        continue;
      }
      wait->due_ = now + wait->interval_;
    }
    next = std::min(next, wait->due_);
    wait = after;
  }
  if (next != Clock::time_point::max()) Arm(next);
}

namespace {

// The translator's payloads, framed as SSE data events into the text of the
// relay's next write as they come (no list of them in between).
class SseFraming final : public providers::PayloadSink {
 public:
  explicit SseFraming(std::string& out) : out_(out) {}
  void Add(std::string_view payload) override {
    providers::AppendSseData(out_, payload);
    added_ = true;
  }
  bool added() const { return added_; }

 private:
  std::string& out_;
  bool added_ = false;
};

net::awaitable<void> RelayStream(RequestContext& ctx, upstream::Call& call, providers::ResponseTranslator& translator,
                                 Outcome& outcome) {
  Responder& r = ctx.responder;
  // The upstream's first events often come in the read that brought its
  // head: then our head goes out with them, in one write (one wake-up of the
  // client instead of two). Held no longer than until a read must wait.
  if (!r.started() && !co_await r.BeginSse(/*hold=*/true)) {
    call.Cancel();
    co_return;
  }
  // The stream's time limit: when it passes, the upstream call is cancelled
  // and the client gets an error event. The timer runs on this thread; `limit`
  // tells a late handler that the stream is over.
  struct Limit {
    bool active = true;
    bool hit = false;
  };
  auto limit = std::make_shared<Limit>();
  auto max_stream = ctx.snapshot->settings().max_stream;
  net::steady_timer limit_timer(ctx.worker.ioc);
  limit_timer.expires_at(ctx.start + max_stream);
  limit_timer.async_wait([limit, &call](const beast::error_code& ec) {
    if (ec || !limit->active) return;
    limit->hit = true;
    call.Cancel();
  });
  struct EndLimit {
    std::shared_ptr<Limit> limit;
    ~EndLimit() { limit->active = false; }
  } end_limit{limit};
  providers::SseParser parser;
  std::string out;
  SseFraming framed(out);
  // Nothing after the event that ended the stream (an error, [DONE]), even
  // when more came in the same read.
  auto translate = [&](const providers::SseEvent& event) {
    if (!translator.done()) translator.TranslateEvent(event.data, framed);
  };
  size_t comments_seen = 0;
  for (;;) {
    if (r.head_held() && !call.BodyReady() && !co_await r.FlushHead()) {
      call.Cancel();
      co_return;
    }
    auto chunk = co_await call.ReadSome();
    if (!chunk.ok()) {
      if (limit->hit) {
        outcome.upstream_failure = "stream_too_long";
        co_await FailStream(r, providers::MakeError(
                                   504, "upstream_error", "stream_too_long",
                                   "The stream ran longer than this router allows (server.maxStreamSeconds = " +
                                       std::to_string(std::chrono::duration_cast<std::chrono::seconds>(max_stream).count()) +
                                       " s) and was ended"));
        co_return;
      }
      if (ctx.watch.client_gone() || call.cancelled()) co_return;
      outcome.upstream_failure = upstream::FailureName(call.failure());
      co_await FailStream(r, providers::MakeError(502, "upstream_error", "upstream_stream_broken",
                                                  "The upstream stream ended abnormally: " +
                                                      std::string(chunk.status().message())));
      co_return;
    }
    bool eof = chunk->empty();
    bool parsed = eof ? parser.Flush(translate) : parser.Feed(*chunk, translate);
    if (!parsed) {
      call.Cancel();
      co_await FailStream(r, providers::MakeError(502, "upstream_error", "upstream_event_too_large",
                                                  "The upstream sent an event larger than the limit"));
      co_return;
    }
    if (framed.added() && outcome.first_token == std::chrono::steady_clock::time_point{}) {
      outcome.first_token = std::chrono::steady_clock::now();
    }
    // The events of the read that ended the stream go out with [DONE].
    if (eof || translator.done()) break;
    if (out.empty() && parser.comments() > comments_seen) out = kKeepAlive;  // pass the upstream's keep-alive on
    comments_seen = parser.comments();
    if (!out.empty()) {
      // Nearly always written at once, with no coroutine frame of its own;
      // else the asynchronous way, which waits for the client.
      if (!r.SendSseNow(out) && !co_await r.SendSse(out)) {
        call.Cancel();
        co_return;
      }
      out.clear();
    }
  }
  translator.Finish(framed);
  out += kDone;
  outcome.usage = translator.usage();
  LogWarnings(ctx, outcome, "upstream answer adapted", translator.warnings());
  // Usually the end of the upstream's HTTP body came with its [DONE]: then the
  // last events, [DONE] and the end of ours go out in one write.
  if (call.body_done()) {
    co_await r.EndSse(out);
    co_return;
  }
  if (!co_await r.SendSse(out)) co_return;
  // The client has every event. An upstream that sent [DONE] before ending
  // its HTTP body ends it right after: read that end (briefly) before ending
  // ours, so that the connection is back in the pool when the client's next
  // request comes, instead of closed.
  if (!ctx.watch.client_gone()) co_await call.FinishBody(kFinishBodyWait);
  co_await r.EndSse();
}

metrics::AttemptOutcome ClassifyAttempt(const upstream::Call& call, bool client_gone) {
  using metrics::AttemptOutcome;
  if (client_gone) return AttemptOutcome::kClientDisconnect;
  switch (call.failure()) {
    case upstream::Failure::kNone: break;
    case upstream::Failure::kTimeout: return AttemptOutcome::kTimeout;
    case upstream::Failure::kResolve:
    case upstream::Failure::kConnect:
    case upstream::Failure::kTls: return AttemptOutcome::kConnectFailure;
    case upstream::Failure::kCancelled: return AttemptOutcome::kClientDisconnect;
    case upstream::Failure::kReset:
    case upstream::Failure::kProtocol:
    case upstream::Failure::kTooLarge: return AttemptOutcome::kBrokenResponse;
  }
  if (call.status() < 200 || call.status() >= 300) return AttemptOutcome::kErrorStatus;
  return AttemptOutcome::kOk;
}

// Counts one upstream attempt when it goes out of scope, however the handler
// left (coroutine frames run destructors at co_return too).
class AttemptRecorder {
 public:
  AttemptRecorder(RequestContext& ctx, const routing::Model& model, const upstream::Call& call)
      : ctx_(ctx), model_(model), call_(call) {}
  ~AttemptRecorder() {
    ctx_.state.metrics.UpstreamAttempt(model_.name,
                                       ClassifyAttempt(call_, ctx_.watch.client_gone() || ctx_.responder.failed()));
  }

 private:
  RequestContext& ctx_;
  const routing::Model& model_;
  const upstream::Call& call_;
};

// One upstream attempt of a request. The caller says whether another may
// follow; a failure before anything reached the client that is worth another
// attempt is then handed back (retry, error) instead of being sent.
struct Attempt {
  bool last = true;
  bool retry = false;
  bool key_refused = false;  // 429/401/403: the key rests now
  std::optional<std::chrono::seconds> retry_after;  // the upstream's Retry-After
  ClientError error;
  Headers error_headers;
};

// Sends a failure: an error response, or an error event if a stream started.
net::awaitable<void> SendFailure(RequestContext& ctx, ClientError error, Headers headers) {
  if (ctx.responder.started()) {
    co_await FailStream(ctx.responder, error);
  } else {
    co_await ctx.responder.SendError(error, headers);
  }
}

net::awaitable<void> Fail(RequestContext& ctx, Attempt& attempt, ClientError error, Headers headers, bool retryable) {
  if (retryable && !attempt.last) {
    attempt.retry = true;
    attempt.error = std::move(error);
    attempt.error_headers = std::move(headers);
    co_return;
  }
  co_await SendFailure(ctx, std::move(error), std::move(headers));
}

// `passthrough`: the client's body goes upstream as it came (only its model
// replaced) and `body` is not used; else `body` is the processed tree.
net::awaitable<void> ServeUpstream(RequestContext& ctx, const routing::Model& model, json body,
                                   const providers::ChatBodyScan* passthrough, Outcome& outcome, std::string prefill,
                                   Attempt& attempt) {
  Responder& r = ctx.responder;
  const auto& settings = ctx.snapshot->settings();
  routing::Clock::time_point ready_at;
  const routing::Key* key = model.keys.Next(routing::Clock::now(), &ready_at);
  if (key == nullptr && model.keys.size() > 0) {
    auto wait = std::chrono::ceil<std::chrono::seconds>(ready_at - routing::Clock::now());
    if (wait.count() < 1) wait = std::chrono::seconds(1);
    outcome.upstream_failure = "keys_resting";
    Headers headers;
    headers.emplace_back("Retry-After", std::to_string(wait.count()));
    co_await Fail(ctx, attempt,
                  providers::MakeError(429, "rate_limit_error", "keys_resting",
                                       "Every API key of model '" + model.name +
                                           "' is resting after the upstream refused it (rate limit or "
                                           "rejected key); try again in " + std::to_string(wait.count()) + " s"),
                  std::move(headers), true);
    co_return;
  }
  // (A body passed through has no stream_options: the client asked for no usage.)
  providers::RequestInfo info{outcome.requested_model, outcome.stream,
                              passthrough == nullptr && IncludeUsage(body), RandomId(ctx.worker.rng, "chatcmpl-"),
                              static_cast<int64_t>(std::time(nullptr))};
  std::string_view key_value = key ? std::string_view(key->value) : "";
  auto request = passthrough != nullptr
                     ? model.adapter->BuildPassthrough(model.target, ctx.request.body(), *passthrough, key_value)
                     : model.adapter->BuildRequest(model.target, std::move(body), key_value);
  if (!request.ok()) {
    co_await r.SendError(providers::InvalidRequest("invalid_request", std::string(request.status().message())));
    co_return;
  }
  if (!request->warnings.empty()) {
    // The request had to change to fit the upstream: say so to the client and the log.
    std::string joined;
    for (const auto& warning : request->warnings) joined += (joined.empty() ? "" : "; ") + warning;
    r.AddHeader("x-switchboard-warning", joined);
    LogWarnings(ctx, outcome, "request adapted", request->warnings);
  }
  auto translator = model.adapter->NewTranslator(info);
  if (!prefill.empty()) translator = providers::NewPrefillStrippingTranslator(std::move(translator), prefill);
  upstream::Call call(ctx.worker.pool,
                      {settings.connect_timeout, settings.first_byte_timeout, settings.upstream_idle_timeout});
  AttemptRecorder recorder(ctx, model, call);
  ctx.watch.set_on_gone([&call] { call.Cancel(); });
  ctx.watch.Start();

  // (No co_await inside ?: — GCC 12 destroys such temporaries twice.)
  absl::Status started;
  {
    // Streamed: keep-alive comments while the head is awaited (KeepAlives).
    KeepAliveWait keep_alive(ctx.worker.keep_alives, r, call,
                             outcome.stream ? settings.keep_alive_interval : std::chrono::milliseconds(0));
    started = co_await call.Start(*request);
  }
  if (ctx.watch.client_gone() || r.failed()) co_return;
  if (!started.ok()) {
    // Nothing but keep-alive comments reached the client: worth another try.
    outcome.upstream_failure = upstream::FailureName(call.failure());
    model.health.Failed(routing::Clock::now(), settings.eject_after_failures, settings.eject_duration);
    co_await Fail(ctx, attempt, FromUpstreamStatus(started), {}, true);
    co_return;
  }

  int status = call.status();
  if (status < 200 || status >= 300) {
    outcome.upstream_failure = "status_" + std::to_string(status);
    auto error_body = co_await call.ReadAll(kErrorBodyLimit);
    if (ctx.watch.client_gone()) co_return;
    ClientError error = translator->TranslateError(status, error_body.ok() ? *error_body : std::string());
    Headers headers;
    auto retry_after_text = call.header("retry-after");
    if (!retry_after_text.empty()) headers.emplace_back("Retry-After", std::string(retry_after_text));
    attempt.retry_after = routing::ParseRetryAfter(retry_after_text);
    auto now = routing::Clock::now();
    attempt.key_refused = key != nullptr && (status == 429 || status == 401 || status == 403);
    if (status == 429 && key != nullptr) {
      key->RestUntil(now + (attempt.retry_after ? std::chrono::duration_cast<routing::Clock::duration>(*attempt.retry_after)
                                                : std::chrono::duration_cast<routing::Clock::duration>(settings.key_cooldown)));
    } else if ((status == 401 || status == 403) && key != nullptr) {
      key->RestUntil(now + settings.key_disable);
      log::Warn("upstream rejected a key; disabled for a while",
                {{"key_provider", key->provider}, {"model", model.name}, {"status", status},
                 {"disabled_seconds", std::chrono::duration_cast<std::chrono::seconds>(settings.key_disable).count()}});
    } else if (status >= 500) {
      model.health.Failed(now, settings.eject_after_failures, settings.eject_duration);
    }
    co_await Fail(ctx, attempt, error, headers, routing::IsRetryableStatus(status));
    co_return;
  }
  model.health.Succeeded();

  bool is_sse = call.header("content-type").find("text/event-stream") != std::string_view::npos;
  if (outcome.stream && is_sse) {
    co_await RelayStream(ctx, call, *translator, outcome);
    co_return;
  }
  // A non-streamed answer (or an upstream that ignored `stream`).
  auto upstream_body = co_await call.ReadAll(settings.response_limit_bytes);
  if (ctx.watch.client_gone()) co_return;
  if (!upstream_body.ok()) {
    outcome.upstream_failure = upstream::FailureName(call.failure());
    ClientError error = FromUpstreamStatus(upstream_body.status());
    if (r.started()) {
      co_await FailStream(r, error);
    } else {
      co_await r.SendError(error);
    }
    co_return;
  }
  auto client_body = translator->TranslateBody(*std::move(upstream_body));
  outcome.usage = translator->usage();
  LogWarnings(ctx, outcome, "upstream answer adapted", translator->warnings());
  outcome.first_token = std::chrono::steady_clock::now();
  if (!client_body.ok()) {
    // InvalidArgument: the upstream refused the prompt itself (the client's to fix).
    ClientError error{502, "upstream_error", "upstream_bad_response", std::string(client_body.status().message()), ""};
    if (absl::IsInvalidArgument(client_body.status())) {
      error = providers::InvalidRequest("prompt_blocked", std::string(client_body.status().message()));
    }
    if (r.started()) {
      co_await FailStream(r, error);
    } else {
      co_await r.SendError(error);
    }
    co_return;
  }
  if (r.started()) {
    // We already promised a stream (keep-alives went out): send the answer as
    // one event rather than break the client's parser.
    std::string out;
    providers::AppendSseData(out, *client_body);
    out += kDone;
    co_await r.EndSse(out);
  } else {
    co_await r.SendJson(status, *std::move(client_body));
  }
}

// The request's log line and metrics; called once, when it ends.
void FinishRequest(const RequestContext& ctx, const Outcome& outcome) {
  auto now = std::chrono::steady_clock::now();
  int status = ctx.responder.failed() && ctx.responder.status() == 0 ? 499 : ctx.responder.status();
  metrics::RequestRecord record;
  record.requested_model = outcome.requested_name.empty() ? std::string(metrics::kUnknownModel) : outcome.requested_name;
  record.client_profile = ctx.profile != nullptr ? ctx.profile->name : "default";
  record.routed_model = outcome.routed_model;
  record.provider_type = outcome.provider_type;
  record.status = status;
  record.duration = now - ctx.start;
  if (outcome.first_token != std::chrono::steady_clock::time_point{}) {
    record.time_to_first_token = outcome.first_token - ctx.start;
  }
  if (outcome.usage.prompt_tokens >= 0) record.prompt_tokens = static_cast<uint64_t>(outcome.usage.prompt_tokens);
  if (outcome.usage.completion_tokens >= 0) {
    record.completion_tokens = static_cast<uint64_t>(outcome.usage.completion_tokens);
  }
  ctx.state.metrics.RequestFinished(record, outcome.stream);
  if (!ctx.snapshot->client().log_requests) return;

  // Never the client's own text: model names only as config names.
  log::Line line(log::Level::kInfo, "request");
  if (!line.enabled()) return;
  line.Add("id", ctx.responder.request_id())
      .Add("status", status)
      .Add("profile", record.client_profile)
      .Add("model", record.requested_model)
      .Add("stream", outcome.stream)
      .AddMillis("duration_ms", now - ctx.start);
  if (!outcome.routed_model.empty()) {
    line.Add("routed_model", outcome.routed_model).Add("provider", outcome.provider_type);
    if (!outcome.upstream_model.empty()) line.Add("upstream_model", outcome.upstream_model);
  }
  if (outcome.first_token != std::chrono::steady_clock::time_point{}) {
    line.AddMillis("first_token_ms", outcome.first_token - ctx.start);
  }
  if (outcome.usage.known()) {
    line.Add("prompt_tokens", outcome.usage.prompt_tokens).Add("completion_tokens", outcome.usage.completion_tokens);
  }
  if (!outcome.upstream_failure.empty()) line.Add("upstream_failure", outcome.upstream_failure);
  if (outcome.attempts > 1) line.Add("attempts", outcome.attempts);
  if (ctx.watch.client_gone()) line.Add("client_gone", true);
  line.Write();
}

// ParseChatBody (validates the body): chat_body.h.

// The assistant prefill for a request to `model` through `profile` (maybe
// null): the model's own, else the profile's, unless the model turns it off.
std::string PrefillFor(const routing::ClientProfile* profile, const routing::Model& model) {
  if (model.prefill_disabled) return "";
  if (model.prefill) return *model.prefill;
  if (profile != nullptr && profile->prefill) return *profile->prefill;
  return "";
}

void InsertSystemPrefill(json& body, const std::string& content, int64_t position) {
  auto& messages = body["messages"];
  size_t index = processors::InsertMessageProcessor::SpliceIndex(position, messages.size());
  messages.insert(messages.begin() + static_cast<std::ptrdiff_t>(index), json{{"role", "system"}, {"content", content}});
}

// Processors check types and must not throw; if one does anyway, only this
// request fails.
bool ApplyChains(const routing::Route& route, json& body, RequestContext& ctx) {
  try {
    for (const auto* chain : route.chains) chain->Apply(body, ctx.worker.rng);
    return true;
  } catch (const std::exception& e) {
    log::Error("processor failed",
               {{"id", ctx.responder.request_id()}, {"model", route.model->name}, {"error", e.what()}});
    return false;
  }
}

}  // namespace

namespace {

// Everything between the request's arrival and its end; FinishRequest runs
// after it, whichever way it left.
net::awaitable<void> ServeChat(RequestContext& ctx, Outcome& outcome) {
  // A clean body is only scanned, and its tree built only if a processor,
  // a prefill or the adapter needs one; anything else is parsed (and its
  // errors worded) by ParseChatBody.
  json body;
  bool have_tree = false;
  providers::ChatBodyScan scan;
  const bool clean = providers::ScanChatBody(ctx.request.body(), scan, ctx.snapshot->passes_text_through());
  if (clean) {
    outcome.requested_model = scan.model;
    outcome.stream = scan.stream;
  } else {
    ClientError error;
    if (!ParseChatBody(ctx.request.body(), body, error)) {
      ctx.state.metrics.RequestStarted(false);
      co_await ctx.responder.SendError(error);
      co_return;
    }
    have_tree = true;
    outcome.requested_model = body["model"].get<std::string>();
    auto stream = body.find("stream");
    outcome.stream = stream != body.end() && stream->is_boolean() && stream->get<bool>();
  }
  ctx.state.metrics.RequestStarted(outcome.stream);
  // A client profile's default model is used whatever the client asked for.
  const routing::Model* requested = ctx.profile != nullptr ? ctx.profile->default_model : nullptr;
  if (requested == nullptr) requested = ctx.snapshot->Find(outcome.requested_model);
  if (requested == nullptr) {
    co_await ctx.responder.SendError(providers::MakeError(404, "invalid_request_error", "model_not_found",
                                      "The model '" + outcome.requested_model +
                                          "' does not exist. GET /v1/models lists the models this router serves.",
                                      "model"));
    co_return;
  }
  outcome.requested_name = requested->name;
  const routing::RetryPolicy& policy = requested->retry;
  const bool random = requested->type == routing::ProviderType::kRandom;
  std::vector<const routing::Model*> failed;  // random: targets that failed in this request
  Attempt attempt;
  for (int n = 1;; ++n) {
    routing::Route route = ctx.snapshot->Resolve(*requested, ctx.worker.rng, failed);
    if (route.model == nullptr) {
      // Every target failed: the client gets the last failure.
      co_await SendFailure(ctx, attempt.error, attempt.error_headers);
      co_return;
    }
    const routing::Model& model = *route.model;
    outcome.attempts = n;
    outcome.routed_model = model.name;
    outcome.provider_type = std::string(routing::ProviderTypeName(model.type));
    outcome.upstream_model = model.target.model_name;
    ctx.responder.AddHeader("x-switchboard-model", model.name);
    std::string prefill = model.type == routing::ProviderType::kTrivial ? "" : PrefillFor(ctx.profile, model);
    const bool system_prefill = ctx.profile != nullptr && ctx.profile->system_prefill;
    const bool passthrough = clean && route.chains.empty() && !system_prefill && prefill.empty() &&
                             model.type != routing::ProviderType::kTrivial && model.adapter != nullptr &&
                             model.adapter->CanPassThrough();
    if (!passthrough) {
      // Each attempt starts from the client's request: chains differ per target.
      if (n > 1 || !have_tree) {
        ClientError ignored;
        ParseChatBody(ctx.request.body(), body, ignored, clean ? scan.kept_use : 0);
        have_tree = true;
      }
      // The profile's system prefill is part of the prompt the chains see; the
      // assistant prefill goes last, after them, so that it stays the last message.
      if (system_prefill) {
        InsertSystemPrefill(body, *ctx.profile->system_prefill, ctx.profile->system_prefill_position);
      }
      if (!ApplyChains(route, body, ctx)) {
        co_await ctx.responder.SendError(
            providers::MakeError(500, "server_error", "processor_failed", "A processor failed on this request", ""));
        co_return;
      }
      if (model.type == routing::ProviderType::kTrivial) {
        co_await ServeTrivial(ctx, model, body, outcome);
        co_return;
      }
      if (!prefill.empty()) providers::AppendPrefill(body, prefill, model.mistral_prefix);
    }
    attempt = Attempt();
    attempt.last = n >= policy.attempts;
    // (Arguments computed before the co_await: GCC 12 mishandles temporaries of ?: in one.)
    json upstream_body = passthrough ? json() : std::move(body);
    const providers::ChatBodyScan* passed = passthrough ? &scan : nullptr;
    co_await ServeUpstream(ctx, model, std::move(upstream_body), passed, outcome, std::move(prefill), attempt);
    if (!attempt.retry) co_return;

    // Another attempt: another pick of a random provider (never one that
    // failed), or the same model with its next key.
    auto wait = routing::Backoff(policy, n, ctx.worker.rng);
    if (random) {
      failed.push_back(&model);
    } else if (attempt.key_refused) {
      // The key rests (for its Retry-After); the next key goes now, and when
      // there is none, the upstream's answer is final.
      if (!model.keys.AnyReady(routing::Clock::now())) {
        co_await SendFailure(ctx, attempt.error, attempt.error_headers);
        co_return;
      }
    } else if (attempt.retry_after) {
      if (*attempt.retry_after > kLongestRetryAfter) {
        co_await SendFailure(ctx, attempt.error, attempt.error_headers);
        co_return;
      }
      wait = std::max<std::chrono::milliseconds>(wait, *attempt.retry_after);
    }
    net::steady_timer timer(ctx.worker.ioc);
    timer.expires_after(wait);
    co_await timer.async_wait(kUseTuple);
    if (ctx.watch.client_gone() || ctx.responder.failed()) co_return;
  }
}

}  // namespace

net::awaitable<void> HandleChatCompletions(RequestContext& ctx) {
  Outcome outcome;
  uint32_t limit = ctx.snapshot->settings().max_concurrent_requests;
  if (ctx.state.active_chats.fetch_add(1) >= limit) {
    // Over the limit: refuse at once rather than queue without bound.
    ctx.state.active_chats.fetch_sub(1);
    ctx.state.metrics.RequestStarted(false);
    Headers headers;
    headers.emplace_back("Retry-After", "1");
    co_await ctx.responder.SendError(
        providers::MakeError(503, "server_error", "overloaded",
                             "This router is serving " + std::to_string(limit) +
                                 " requests at once, its limit; try again in a moment"),
        headers);
    FinishRequest(ctx, outcome);
    co_return;
  }
  co_await ServeChat(ctx, outcome);
  ctx.state.active_chats.fetch_sub(1);
  FinishRequest(ctx, outcome);
}

}  // namespace switchboard::server
