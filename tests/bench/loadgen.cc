// loadgen: Switchboard's own load client for tests/bench/run.sh, for what wrk
// cannot measure: a fixed arrival rate without coordinated omission, time to
// the first streamed event, thousands of held streams, large conversations,
// and config churn on the control plane.
//
//   loadgen rate   --target HOST:PORT --rate R [--connections N] [--duration S] [--warmup S]
//   loadgen stream --target HOST:PORT --concurrency C [--duration S] [--warmup S] [--stagger 0|1]
//   loadgen hold   --target HOST:PORT --streams N [--connect-rate R] [--max-seconds S]
//   loadgen size   --target HOST:PORT --bytes B [--duration S] [--warmup-requests K]
//   loadgen churn  --control-plane HOST:PORT --name RANDOM_MODEL --members A,B[,..]
//                  [--interval-ms I] [--duration S]
// Common options: --model M (default mock-model), --path P (default
// /v1/chat/completions), --header "Name: value" (repeatable),
// --timeout-s T (one read or write; default 10). stream also takes
// --sse-end done|close: whether a stream must end with [DONE] (the default,
// OpenAI's API and the router's) or just ends with its body (Gemini's own API).
//
// Modes:
//   rate    open loop: request i is due at t0 + i/R, whatever happened before
//           (evenly spaced). N persistent connections; a request waits for a
//           free one. Latency runs from the *intended* send time, so a stall
//           is counted in every request it delays (no coordinated omission).
//           Non-streamed, SillyTavern-sized request.
//   stream  C workers, each sending streamed requests back to back on its own
//           connection. Time to first byte = send to the first "data:" event
//           of the body; total = send to the end of the answer. The workers'
//           first requests are spread over the length of one stream (measured
//           alone first), so equally long streams do not arrive in bursts;
//           --stagger 0 starts them all at once.
//   hold    N streamed requests, opened at R per second, each read to its end
//           (point it at a mock that sends one chunk a second). Counts streams
//           that got their first event, that ended with [DONE], and errors.
//   size    one connection, sequential non-streamed requests whose body is a
//           roleplay conversation of about B bytes.
//   churn   calls AdminService.SetWeights every I ms, alternating the weights
//           of the members of a `random` model (gRPC, plaintext).
//
// Output: one line of key=value pairs on stdout (times in ms), for run.sh;
// problems go to stderr. Exit status 0 when the run happened (errors are in the
// figures), 2 for bad usage, 1 when nothing could be measured.
//
// One thread, one io_context: pin it to a core of its own (run.sh does).

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "switchboard/controlplane/v1/admin.grpc.pb.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);
// Bytes of a streamed body kept between reads, so that a marker split over
// two reads is still found ("data: {\"error\"" is the longest).
constexpr size_t kScanTail = 24;

// --- options ------------------------------------------------------------------

struct Options {
  std::string mode;
  std::map<std::string, std::string> values;
  std::vector<std::string> headers;

  bool Has(const std::string& key) const { return values.count(key) > 0; }
  std::string Get(const std::string& key, const std::string& fallback) const {
    auto it = values.find(key);
    return it == values.end() ? fallback : it->second;
  }
};

[[noreturn]] void UsageError(const std::string& message) {
  std::cerr << "loadgen: " << message << "\n"
            << "usage: loadgen rate|stream|hold|size|churn --target HOST:PORT [options]; see the top of "
               "tests/bench/loadgen.cc\n";
  std::exit(2);
}

double GetNumber(const Options& options, const std::string& key, double fallback, double min, double max) {
  if (!options.Has(key)) return fallback;
  const std::string text = options.Get(key, "");
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !(value >= min && value <= max)) {
    UsageError("bad value for --" + key + ": " + text);
  }
  return value;
}

Options ParseArgs(int argc, char** argv) {
  if (argc < 2) UsageError("no mode");
  Options options;
  options.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.substr(0, 2) != "--" || i + 1 >= argc) UsageError("expected --option VALUE, got " + std::string(arg));
    std::string key(arg.substr(2));
    std::string value = argv[++i];
    if (key == "header") {
      options.headers.push_back(std::move(value));
    } else {
      options.values[key] = std::move(value);
    }
  }
  return options;
}

tcp::endpoint ParseEndpoint(const std::string& host_port) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string::npos) UsageError("expected HOST:PORT, got " + host_port);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host_port.substr(0, colon), ec);
  int port = 0;
  const std::string port_text = host_port.substr(colon + 1);
  const auto [end, pec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec || pec != std::errc() || end != port_text.data() + port_text.size() || port <= 0 || port > 65535) {
    UsageError("expected a numeric HOST:PORT, got " + host_port);
  }
  return {address, static_cast<uint16_t>(port)};
}

// --- statistics ---------------------------------------------------------------

// Percentile of samples in nanoseconds, in milliseconds (nearest rank).
double PercentileMs(std::vector<int64_t>& samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(samples.size())));
  rank = std::clamp<size_t>(rank, 1, samples.size());
  return static_cast<double>(samples[rank - 1]) / 1e6;
}

std::string Fixed(double value, int decimals = 3) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

// --- request bodies -------------------------------------------------------------

// The same SillyTavern-sized request as chat.lua.
std::string SmallBody(const std::string& model, bool stream) {
  nlohmann::json body = {
      {"model", model},
      {"messages",
       {{{"role", "system"},
         {"content", "You are Aria, a lighthouse keeper in a quiet coastal town. Stay in character."}},
        {{"role", "user"}, {"content", "Hello! The storm is getting worse. Can I wait inside until it passes?"}},
        {{"role", "assistant"}, {"content", "*opens the heavy door* Of course, come in before the wind takes you."}},
        {{"role", "user"}, {"content", "Thank you. What is that strange light out on the water?"}}}},
      {"temperature", 0.8},
      {"max_tokens", 300},
      {"stream", stream},
      {"presence_penalty", 0},
      {"frequency_penalty", 0},
      {"top_p", 1},
      {"logit_bias", nlohmann::json::object()}};
  return body.dump();
}

// Deterministic roleplay-like prose: narration in *asterisks*, speech, and now
// and then words a regex processor of the bench chain rewrites ("colour").
class Prose {
 public:
  std::string Text(size_t bytes) {
    static constexpr std::string_view kWords[] = {
        "the",   "storm",   "lantern", "harbor",  "quietly", "she",    "he",      "looks",  "toward",
        "colour", "of",     "sea",     "waves",   "crash",   "against", "rocks",  "old",    "keeper",
        "smiles", "warmly", "and",     "whispers", "about",  "ships",  "lost",    "long",   "ago",
        "Colour", "light",  "flickers", "in",     "window",  "cold",   "wind",    "door",   "creaks",
        "tea",    "kettle", "steams",  "gently",  "map",     "table",  "candle",  "glows",  "softly"};
    std::string text;
    text.reserve(bytes + 16);
    bool narration = false;
    size_t sentence = 0;
    while (text.size() < bytes) {
      if (sentence == 0) {
        narration = Next() % 3 == 0;
        if (narration) text += '*';
      }
      std::string_view word = kWords[Next() % std::size(kWords)];
      text += word;
      ++sentence;
      if (sentence >= 8 + Next() % 9) {
        text += narration ? "* " : ". ";
        sentence = 0;
      } else {
        text += ' ';
      }
    }
    text.resize(bytes);
    return text;
  }

 private:
  uint32_t Next() {
    state_ = state_ * 1664525u + 1013904223u;
    return state_ >> 8;
  }
  uint32_t state_ = 12345;
};

// A long roleplay history of about `bytes` bytes of JSON: a character card as
// the system message, then user turns of ~400 bytes and assistant turns of
// ~1500 bytes, alternating, ending with a user turn.
std::string ConversationBody(const std::string& model, size_t bytes) {
  Prose prose;
  nlohmann::json messages = nlohmann::json::array();
  const size_t card = std::min<size_t>(bytes / 4, 2000);
  messages.push_back({{"role", "system"}, {"content", prose.Text(card)}});
  size_t total = card + 200;
  bool user = true;
  while (total < bytes) {
    const size_t want = std::min<size_t>(user ? 400 : 1500, std::max<size_t>(bytes - total, 40));
    messages.push_back({{"role", user ? "user" : "assistant"}, {"content", prose.Text(want)}});
    total += want + 32;
    user = !user;
  }
  if (!user) messages.push_back({{"role", "user"}, {"content", "*nods* Go on."}});
  nlohmann::json body = {{"model", model},          {"messages", std::move(messages)},
                         {"temperature", 0.9},      {"max_tokens", 400},
                         {"stream", false},         {"top_p", 0.95},
                         {"presence_penalty", 0.1}, {"frequency_penalty", 0.1}};
  return body.dump();
}

// The whole request, serialized once and written as bytes.
std::string RawRequest(const Options& options, const tcp::endpoint& target, const std::string& body) {
  std::ostringstream out;
  out << "POST " << options.Get("path", "/v1/chat/completions") << " HTTP/1.1\r\n"
      << "Host: " << target.address().to_string() << ":" << target.port() << "\r\n"
      << "Content-Type: application/json\r\n"
      << "Authorization: Bearer sk-bench\r\n";
  for (const auto& header : options.headers) out << header << "\r\n";
  out << "Content-Length: " << body.size() << "\r\n\r\n" << body;
  return out.str();
}

// --- one HTTP/1.1 connection ------------------------------------------------------

struct Exchange {
  bool ok = false;
  Clock::time_point sent;
  std::optional<Clock::time_point> first_event;  // first "data:" of the body
  Clock::time_point done;
  std::string error;
};

// What a request's answer must be.
enum class Answer {
  kWhole,      // a non-streamed body
  kSse,        // an SSE stream ending with [DONE]
  kSseToEnd,   // an SSE stream that ends with the body (Gemini's own API)
};

class Connection {
 public:
  Connection(asio::any_io_executor executor, tcp::endpoint target, Clock::duration timeout)
      : stream_(std::move(executor)), target_(target), timeout_(timeout) {}

  // Sends `request` and reads the answer to its end. A streamed answer must
  // carry no error event, and kSse's must end with [DONE].
  // `on_first_event` runs once when the first "data:" arrives.
  template <class OnFirstEvent>
  asio::awaitable<Exchange> RoundTrip(const std::string& request, Answer answer, OnFirstEvent on_first_event,
                                      Clock::duration first_byte_timeout) {
    Exchange result;
    result.sent = Clock::now();
    if (!open_) {
      stream_.expires_after(timeout_);
      auto [ec] = co_await stream_.async_connect(target_, kUseAwaitable);
      if (ec) co_return Fail(std::move(result), "connect: " + ec.message());
      beast::error_code ignored;
      stream_.socket().set_option(tcp::no_delay(true), ignored);
      open_ = true;
      buffer_.clear();
    }
    result.sent = Clock::now();
    stream_.expires_after(timeout_);
    if (auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(request), kUseAwaitable); ec) {
      co_return Fail(std::move(result), "write: " + ec.message());
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    stream_.expires_after(first_byte_timeout);
    if (auto [ec, n] = co_await http::async_read_header(stream_, buffer_, parser, kUseAwaitable); ec) {
      co_return Fail(std::move(result), "read header: " + ec.message());
    }
    const unsigned status = parser.get().result_int();
    bool done_seen = false;
    bool error_event = false;
    auto scan = [&] {
      std::string& body = parser.get().body();
      if (!result.first_event && body.find("data:") != std::string::npos) {
        result.first_event = Clock::now();
        on_first_event();
      }
      if (body.find("[DONE]") != std::string::npos) done_seen = true;
      if (body.find("data: {\"error\"") != std::string::npos) error_event = true;
      // string_body appends at body.size(): keeping only a tail bounds memory.
      if (body.size() > kScanTail) body.erase(0, body.size() - kScanTail);
    };
    scan();
    while (!parser.is_done()) {
      stream_.expires_after(result.first_event ? timeout_ : first_byte_timeout);
      auto [ec, n] = co_await http::async_read_some(stream_, buffer_, parser, kUseAwaitable);
      if (ec) co_return Fail(std::move(result), "read body: " + ec.message());
      scan();
    }
    result.done = Clock::now();
    if (!parser.get().keep_alive()) Close();
    if (status != 200) {
      result.error = "status " + std::to_string(status);
    } else if (answer != Answer::kWhole && ((answer == Answer::kSse && !done_seen) || error_event)) {
      result.error = error_event ? "error event in stream" : "stream without [DONE]";
    } else {
      result.ok = true;
    }
    co_return result;
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    open_ = false;
  }

 private:
  Exchange Fail(Exchange result, std::string error) {
    result.error = std::move(error);
    result.done = Clock::now();
    Close();
    return result;
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  tcp::endpoint target_;
  Clock::duration timeout_;
  bool open_ = false;
};

// Counts errors by message and prints the most frequent ones on stderr.
class ErrorLog {
 public:
  void Add(const std::string& error) { ++counts_[error]; }
  void Print(std::string_view mode) const {
    for (const auto& [error, count] : counts_) std::cerr << "loadgen " << mode << ": " << count << " x " << error << "\n";
  }

 private:
  std::map<std::string, int64_t> counts_;
};

Clock::duration Seconds(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

int64_t Nanos(Clock::duration d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); }

void Run(asio::io_context& context, Clock::duration limit) {
  // Every coroutine bounds its own waits; this is the last line of defence.
  context.run_for(limit);
  if (!context.stopped()) {
    std::cerr << "loadgen: still running after the time limit; stopping\n";
    context.stop();
  }
}

// --- rate -------------------------------------------------------------------------

struct RateRun {
  std::string request;
  Clock::time_point t0;
  double interval_ns = 0;
  int64_t total = 0;
  int64_t warm = 0;  // requests [0, warm) are not recorded
  int64_t next = 0;
  std::vector<int64_t> latencies;
  int64_t errors = 0;
  Clock::time_point last_done;
  ErrorLog error_log;
};

asio::awaitable<void> RateWorker(RateRun& run, tcp::endpoint target, Clock::duration timeout) {
  auto executor = co_await asio::this_coro::executor;
  Connection connection(executor, target, timeout);
  asio::steady_timer timer(executor);
  for (;;) {
    const int64_t i = run.next++;
    if (i >= run.total) break;
    const auto intended = run.t0 + std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(i) * run.interval_ns));
    if (intended > Clock::now()) {
      timer.expires_at(intended);
      co_await timer.async_wait(kUseAwaitable);
    }
    Exchange exchange = co_await connection.RoundTrip(run.request, Answer::kWhole, [] {}, timeout);
    if (i < run.warm) continue;
    run.last_done = std::max(run.last_done, exchange.done);
    if (exchange.ok) {
      run.latencies.push_back(Nanos(exchange.done - intended));
    } else {
      ++run.errors;
      run.error_log.Add(exchange.error);
    }
  }
}

int RunRate(const Options& options) {
  const auto target = ParseEndpoint(options.Get("target", ""));
  const double rate = GetNumber(options, "rate", 1000, 1, 1e6);
  const int connections = static_cast<int>(GetNumber(options, "connections", 64, 1, 10000));
  const double duration = GetNumber(options, "duration", 10, 0.1, 3600);
  const double warmup = GetNumber(options, "warmup", 1, 0, 600);
  const auto timeout = Seconds(GetNumber(options, "timeout-s", 10, 0.1, 600));

  RateRun run;
  run.request = RawRequest(options, target, SmallBody(options.Get("model", "mock-model"), false));
  run.interval_ns = 1e9 / rate;
  run.warm = static_cast<int64_t>(warmup * rate);
  run.total = run.warm + static_cast<int64_t>(duration * rate);
  run.latencies.reserve(static_cast<size_t>(run.total));
  asio::io_context context(1);
  run.t0 = Clock::now() + 50ms;
  for (int i = 0; i < connections; ++i) asio::co_spawn(context, RateWorker(run, target, timeout), asio::detached);
  Run(context, Seconds(warmup + duration) + timeout * 2 + 5s);
  run.error_log.Print("rate");

  const auto measured_start =
      run.t0 + std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(run.warm) * run.interval_ns));
  const double elapsed = std::max(1e-9, std::chrono::duration<double>(run.last_done - measured_start).count());
  const auto ok = static_cast<int64_t>(run.latencies.size());
  std::cout << "mode=rate target_rps=" << Fixed(rate, 0) << " connections=" << connections
            << " sent=" << run.total - run.warm << " ok=" << ok << " errors=" << run.errors
            << " achieved_rps=" << Fixed(static_cast<double>(ok) / elapsed, 1)
            << " p50_ms=" << Fixed(PercentileMs(run.latencies, 0.50))
            << " p99_ms=" << Fixed(PercentileMs(run.latencies, 0.99))
            << " p999_ms=" << Fixed(PercentileMs(run.latencies, 0.999))
            << " max_ms=" << Fixed(PercentileMs(run.latencies, 1.0)) << "\n";
  return ok > 0 ? 0 : 1;
}

// --- stream -----------------------------------------------------------------------

struct StreamRun {
  std::string request;
  Answer answer = Answer::kSse;
  Clock::time_point record_from;
  Clock::time_point deadline;
  std::vector<int64_t> first_event;
  std::vector<int64_t> total;
  int64_t errors = 0;
  ErrorLog error_log;
};

asio::awaitable<void> StreamWorker(StreamRun& run, tcp::endpoint target, Clock::duration timeout,
                                   Clock::duration start_delay) {
  auto executor = co_await asio::this_coro::executor;
  Connection connection(executor, target, timeout);
  asio::steady_timer pause(executor);
  pause.expires_after(start_delay);
  co_await pause.async_wait(kUseAwaitable);
  while (Clock::now() < run.deadline) {
    Exchange exchange = co_await connection.RoundTrip(run.request, run.answer, [] {}, timeout);
    const bool recorded = exchange.sent >= run.record_from;
    if (!exchange.ok || !exchange.first_event) {
      if (recorded) {
        ++run.errors;
        run.error_log.Add(exchange.ok ? "no data event" : exchange.error);
      }
      pause.expires_after(10ms);  // a refused connection must not spin
      co_await pause.async_wait(kUseAwaitable);
    } else if (recorded) {
      run.first_event.push_back(Nanos(*exchange.first_event - exchange.sent));
      run.total.push_back(Nanos(exchange.done - exchange.sent));
    }
  }
}

int RunStream(const Options& options) {
  const auto target = ParseEndpoint(options.Get("target", ""));
  const int concurrency = static_cast<int>(GetNumber(options, "concurrency", 16, 1, 20000));
  const double duration = GetNumber(options, "duration", 10, 0.1, 3600);
  const double warmup = GetNumber(options, "warmup", 1, 0, 600);
  const auto timeout = Seconds(GetNumber(options, "timeout-s", 10, 0.1, 600));

  const bool stagger = GetNumber(options, "stagger", 1, 0, 1) != 0;

  StreamRun run;
  run.request = RawRequest(options, target, SmallBody(options.Get("model", "mock-model"), true));
  const std::string sse_end = options.Get("sse-end", "done");
  if (sse_end != "done" && sse_end != "close") UsageError("bad value for --sse-end: " + sse_end + " (done or close)");
  run.answer = sse_end == "close" ? Answer::kSseToEnd : Answer::kSse;
  asio::io_context context(1);
  // One stream alone first: how long a stream lasts. The workers start that
  // span apart divided by C, so that streams that all last the same time do
  // not arrive in bursts of C (which would measure queueing, not the router).
  Clock::duration probe = 0s;
  asio::co_spawn(
      context,
      [&]() -> asio::awaitable<void> {
        Connection connection(co_await asio::this_coro::executor, target, timeout);
        Exchange exchange = co_await connection.RoundTrip(run.request, run.answer, [] {}, timeout);
        if (exchange.ok) probe = exchange.done - exchange.sent;
        connection.Close();
      },
      asio::detached);
  Run(context, timeout * 3);
  context.restart();
  const auto start = Clock::now();
  run.record_from = start + std::max(Seconds(warmup), probe);
  run.deadline = run.record_from + Seconds(duration);
  for (int i = 0; i < concurrency; ++i) {
    const auto delay = stagger ? probe * i / concurrency : Clock::duration{0};
    asio::co_spawn(context, StreamWorker(run, target, timeout, delay), asio::detached);
  }
  Run(context, Seconds(warmup + duration) + probe + timeout * 3 + 5s);
  run.error_log.Print("stream");

  const double elapsed = std::chrono::duration<double>(Clock::now() - run.record_from).count();
  const auto ok = static_cast<int64_t>(run.total.size());
  std::cout << "mode=stream concurrency=" << concurrency << " ok=" << ok << " errors=" << run.errors
            << " streams_per_s=" << Fixed(static_cast<double>(ok) / std::max(elapsed, 1e-9), 1)
            << " ttfb_p50_ms=" << Fixed(PercentileMs(run.first_event, 0.50))
            << " ttfb_p99_ms=" << Fixed(PercentileMs(run.first_event, 0.99))
            << " total_p50_ms=" << Fixed(PercentileMs(run.total, 0.50))
            << " total_p99_ms=" << Fixed(PercentileMs(run.total, 0.99)) << "\n";
  return ok > 0 ? 0 : 1;
}

// --- hold -------------------------------------------------------------------------

struct HoldRun {
  std::string request;
  Clock::time_point t0;
  double connect_interval_ns = 0;
  int64_t streams = 0;
  int64_t active = 0;  // got their first event, not ended yet
  int64_t peak_active = 0;
  std::optional<Clock::time_point> all_open;
  int64_t opened = 0;
  int64_t completed = 0;
  int64_t errors = 0;
  std::vector<int64_t> first_event;
  ErrorLog error_log;
};

asio::awaitable<void> HoldWorker(HoldRun& run, int64_t index, tcp::endpoint target, Clock::duration timeout,
                                 Clock::duration first_byte_timeout) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  timer.expires_at(run.t0 +
                   std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(index) * run.connect_interval_ns)));
  co_await timer.async_wait(kUseAwaitable);
  Connection connection(executor, target, timeout);
  bool counted = false;
  Exchange exchange = co_await connection.RoundTrip(
      run.request, Answer::kSse,
      [&] {
        counted = true;
        ++run.opened;
        run.peak_active = std::max(run.peak_active, ++run.active);
        if (run.active == run.streams && !run.all_open) run.all_open = Clock::now();
      },
      first_byte_timeout);
  connection.Close();
  if (counted) --run.active;
  if (exchange.first_event) run.first_event.push_back(Nanos(*exchange.first_event - exchange.sent));
  if (exchange.ok) {
    ++run.completed;
  } else {
    ++run.errors;
    run.error_log.Add(exchange.error);
  }
}

int RunHold(const Options& options) {
  const auto target = ParseEndpoint(options.Get("target", ""));
  const auto streams = static_cast<int64_t>(GetNumber(options, "streams", 10000, 1, 100000));
  const double connect_rate = GetNumber(options, "connect-rate", 2000, 1, 1e6);
  const double max_seconds = GetNumber(options, "max-seconds", 120, 1, 3600);
  const auto timeout = Seconds(GetNumber(options, "timeout-s", 10, 0.1, 600));

  HoldRun run;
  run.request = RawRequest(options, target, SmallBody(options.Get("model", "mock-model"), true));
  run.streams = streams;
  run.connect_interval_ns = 1e9 / connect_rate;
  run.first_event.reserve(static_cast<size_t>(streams));
  asio::io_context context(1);
  run.t0 = Clock::now() + 20ms;
  const auto first_byte_timeout = timeout * 3;
  for (int64_t i = 0; i < streams; ++i) {
    asio::co_spawn(context, HoldWorker(run, i, target, timeout, first_byte_timeout), asio::detached);
  }
  Run(context, Seconds(max_seconds));
  run.error_log.Print("hold");
  const int64_t unfinished = streams - run.completed - run.errors;

  std::cout << "mode=hold streams=" << streams << " opened=" << run.opened << " peak_open=" << run.peak_active
            << " completed=" << run.completed << " errors=" << run.errors + unfinished
            << " all_open_after_s="
            << (run.all_open ? Fixed(std::chrono::duration<double>(*run.all_open - run.t0).count(), 2) : "never")
            << " ttfb_p50_ms=" << Fixed(PercentileMs(run.first_event, 0.50))
            << " ttfb_p99_ms=" << Fixed(PercentileMs(run.first_event, 0.99)) << "\n";
  return run.opened > 0 ? 0 : 1;
}

// --- size -------------------------------------------------------------------------

int RunSize(const Options& options) {
  const auto target = ParseEndpoint(options.Get("target", ""));
  const auto bytes = static_cast<size_t>(GetNumber(options, "bytes", 4096, 100, 64 * 1024 * 1024));
  const double duration = GetNumber(options, "duration", 5, 0.1, 3600);
  const auto warm = static_cast<int>(GetNumber(options, "warmup-requests", 5, 0, 100000));
  const auto timeout = Seconds(GetNumber(options, "timeout-s", 10, 0.1, 600));

  const std::string body = ConversationBody(options.Get("model", "mock-model"), bytes);
  const std::string request = RawRequest(options, target, body);
  std::vector<int64_t> latencies;
  int64_t errors = 0;
  ErrorLog error_log;
  double elapsed = 0;
  asio::io_context context(1);
  asio::co_spawn(
      context,
      [&]() -> asio::awaitable<void> {
        Connection connection(co_await asio::this_coro::executor, target, timeout);
        for (int i = 0; i < warm; ++i) co_await connection.RoundTrip(request, Answer::kWhole, [] {}, timeout);
        const auto start = Clock::now();
        const auto deadline = start + Seconds(duration);
        while (Clock::now() < deadline) {
          Exchange exchange = co_await connection.RoundTrip(request, Answer::kWhole, [] {}, timeout);
          if (exchange.ok) {
            latencies.push_back(Nanos(exchange.done - exchange.sent));
          } else {
            ++errors;
            error_log.Add(exchange.error);
          }
        }
        elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      },
      asio::detached);
  Run(context, Seconds(duration) + timeout * (warm + 3) + 5s);
  error_log.Print("size");
  const auto ok = static_cast<int64_t>(latencies.size());
  std::cout << "mode=size body_bytes=" << body.size() << " ok=" << ok << " errors=" << errors
            << " rps=" << Fixed(static_cast<double>(ok) / std::max(elapsed, 1e-9), 1)
            << " p50_ms=" << Fixed(PercentileMs(latencies, 0.50)) << " p99_ms=" << Fixed(PercentileMs(latencies, 0.99))
            << "\n";
  return ok > 0 ? 0 : 1;
}

// --- churn ------------------------------------------------------------------------

int RunChurn(const Options& options) {
  namespace v1 = switchboard::controlplane::v1;
  const std::string control_plane = options.Get("control-plane", "");
  const std::string name = options.Get("name", "");
  const std::string members_text = options.Get("members", "");
  if (control_plane.empty() || name.empty() || members_text.empty()) {
    UsageError("churn needs --control-plane, --name and --members");
  }
  std::vector<std::string> members;
  for (size_t start = 0; start <= members_text.size();) {
    const size_t comma = std::min(members_text.find(',', start), members_text.size());
    if (comma > start) members.push_back(members_text.substr(start, comma - start));
    start = comma + 1;
  }
  if (members.size() < 2) UsageError("--members needs at least two names");
  const auto interval = Seconds(GetNumber(options, "interval-ms", 100, 1, 60000) / 1000.0);
  const double duration = GetNumber(options, "duration", 10, 0.1, 3600);
  const auto timeout = Seconds(GetNumber(options, "timeout-s", 5, 0.1, 600));
  const std::string token = options.Get("token", "");

  auto channel = grpc::CreateChannel(control_plane, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
    std::cerr << "loadgen churn: cannot connect to " << control_plane << "\n";
    return 1;
  }
  auto stub = v1::AdminService::NewStub(channel);
  std::vector<int64_t> latencies;
  int64_t errors = 0;
  uint64_t version = 0;
  std::map<std::string, int64_t> error_counts;
  const auto start = Clock::now();
  const auto end = start + Seconds(duration);
  for (int64_t i = 0;; ++i) {
    const auto due = start + i * interval;
    if (due >= end) break;
    std::this_thread::sleep_until(due);
    v1::SetWeightsRequest request;
    request.set_name(name);
    // Rotates which member weighs most: every change is a real change.
    for (size_t m = 0; m < members.size(); ++m) {
      (*request.mutable_weights())[members[m]] = (m == static_cast<size_t>(i) % members.size()) ? 3.0 : 1.0;
    }
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + timeout);
    context.AddMetadata("x-switchboard-author", "bench-churn");
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    v1::MutationResponse response;
    const auto sent = Clock::now();
    const grpc::Status status = stub->SetWeights(&context, request, &response);
    if (status.ok()) {
      latencies.push_back(Nanos(Clock::now() - sent));
      version = response.version();
    } else {
      ++errors;
      ++error_counts[status.error_message()];
    }
  }
  for (const auto& [error, count] : error_counts) std::cerr << "loadgen churn: " << count << " x " << error << "\n";
  const auto ok = static_cast<int64_t>(latencies.size());
  std::cout << "mode=churn changes=" << ok << " errors=" << errors << " final_version=" << version
            << " rpc_p50_ms=" << Fixed(PercentileMs(latencies, 0.50))
            << " rpc_p99_ms=" << Fixed(PercentileMs(latencies, 0.99)) << "\n";
  return ok > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = ParseArgs(argc, argv);
  if (options.mode != "churn" && !options.Has("target")) UsageError("--target HOST:PORT is required");
  if (options.mode == "rate") return RunRate(options);
  if (options.mode == "stream") return RunStream(options);
  if (options.mode == "hold") return RunHold(options);
  if (options.mode == "size") return RunSize(options);
  if (options.mode == "churn") return RunChurn(options);
  UsageError("unknown mode " + options.mode);
}
