// mock_upstream: a fast mock of an OpenAI-compatible upstream, for benchmarks.
//
//   mock_upstream [--port P] [--threads T] [--chunks N] [--chunk-bytes S]
//                 [--chunk-delay-ms D] [--head-fields F]
//
// Listens on 127.0.0.1:P (0: an ephemeral port) and, once listening, writes
// {"msg":"ready","api":"127.0.0.1:PORT"} on stderr. Answers
//   POST .../chat/completions            a fixed, small chat.completion;
//   POST .../chat/completions with "stream": true
//                                        N chat.completion.chunk SSE events of S
//                                        content bytes each, D ms apart, then one
//                                        with finish_reason "stop" and [DONE];
//   GET  .../models                      a list with one model, "mock-model";
//   POST .../MODEL:generateContent       a fixed, small Gemini answer;
//   POST .../MODEL:streamGenerateContent (Gemini's SSE, ?alt=sse)
//                                        N Gemini events of S text bytes each,
//                                        D ms apart, then one with finishReason
//                                        "STOP" and the usage;
//   anything else                        404 with an OpenAI-style error.
// With --head-fields F, every response head also carries the first F of the
// fields a hosted API answers with (kHostedFields: rate-limit counters, request
// ids, cookies; made-up values of typical lengths), up to 19.
// HTTP/1.1 with keep-alive; every response body is built once at startup, so
// the per-request work is parsing the request and writing bytes.
//
// Threads: one io_context per thread, each run by one thread; one acceptor on
// the first hands each accepted connection to the next io_context in turn, and
// the connection stays on it. No locks on the request path.
//
// Limits, honestly: no TLS, no request validation beyond "is it JSON", no
// pipelining guarantees beyond what Beast's read loop gives. It is a load
// source for tests/bench/run.sh, not a fake for correctness tests (those live in
// tests/integration/harness/).

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <nlohmann/json.hpp>
#include <simdjson.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto kIdleTimeout = 75s;   // keep-alive connection without a request
constexpr auto kWriteTimeout = 30s;  // one write to a client that does not read
constexpr uint64_t kBodyLimit = 8 * 1024 * 1024;
constexpr size_t kReadSize = 64 * 1024;  // the most Beast reads at once
constexpr std::string_view kModel = "mock-model";
constexpr std::string_view kServerName = "switchboard-mock-upstream";

constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);

struct Options {
  uint16_t port = 0;
  int threads = 1;
  int chunks = 20;
  int chunk_bytes = 16;
  int chunk_delay_ms = 0;
  int head_fields = 0;
};

// Fields of the kind a hosted API (behind a CDN) sends with every answer; the
// values are made up, of typical lengths.
constexpr std::pair<std::string_view, std::string_view> kHostedFields[] = {
    {"date", "Sun, 29 Nov 2026 12:00:00 GMT"},
    {"openai-organization", "org-mockmockmockmockmockmock"},
    {"openai-processing-ms", "412"},
    {"openai-version", "2020-10-01"},
    {"x-ratelimit-limit-requests", "10000"},
    {"x-ratelimit-limit-tokens", "2000000"},
    {"x-ratelimit-remaining-requests", "9999"},
    {"x-ratelimit-remaining-tokens", "1999620"},
    {"x-ratelimit-reset-requests", "6ms"},
    {"x-ratelimit-reset-tokens", "11ms"},
    {"x-request-id", "req_0123456789abcdef0123456789abcdef"},
    {"strict-transport-security", "max-age=31536000; includeSubDomains; preload"},
    {"cf-cache-status", "DYNAMIC"},
    {"set-cookie",
     "__cf_bm=mockmockmockmockmockmockmockmockmockmockmockmockmockmockmockmockmockmockmockmockmockmock-1700000000-"
     "1.0.1.1-mockmockmockmockmockmockmockmockmockmockmockmock; path=/; expires=Sun, 29-Nov-26 12:30:00 GMT; "
     "domain=.mock.invalid; HttpOnly; Secure; SameSite=None"},
    {"set-cookie",
     "_cfuvid=mockmockmockmockmockmockmockmockmockmock-1700000000000-0.0.1.1-604800000; path=/; "
     "domain=.mock.invalid; HttpOnly; Secure; SameSite=None"},
    {"x-content-type-options", "nosniff"},
    {"cf-ray", "8f0a1b2c3d4e5f60-FRA"},
    {"alt-svc", "h3=\":443\"; ma=86400"},
    {"access-control-expose-headers", "X-Request-ID"},
};
constexpr int kMaxHeadFields = static_cast<int>(std::size(kHostedFields));

// Every response body, built once before the first connection; read-only after,
// shared by all threads.
struct Bodies {
  std::string completion;  // non-streamed chat.completion
  std::string models;      // GET /models
  // SSE events of a streamed answer. content_events[i] is the i-th content
  // chunk; `tail` is the finish_reason chunk plus "data: [DONE]", one write.
  std::vector<std::string> content_events;
  std::string tail;
  // The same for Gemini's native API: generateContent's answer, and
  // streamGenerateContent's events (no [DONE]: the stream just ends).
  std::string gemini_answer;
  std::vector<std::string> gemini_events;
  std::string gemini_tail;
};

std::string ContentOfSize(int bytes) {
  // Printable, JSON-safe, word-like: "abcd efgh ijkl ..."
  std::string text;
  text.reserve(bytes);
  for (int i = 0; i < bytes; ++i) text.push_back(i % 5 == 4 ? ' ' : static_cast<char>('a' + i % 26));
  return text;
}

Bodies BuildBodies(const Options& options) {
  using nlohmann::json;
  const int64_t created = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  Bodies bodies;

  bodies.completion =
      json{{"id", "chatcmpl-mock"},
           {"object", "chat.completion"},
           {"created", created},
           {"model", kModel},
           {"choices", json::array({{{"index", 0},
                                     {"message", {{"role", "assistant"}, {"content", "Hello from the mock upstream."}}},
                                     {"logprobs", nullptr},
                                     {"finish_reason", "stop"}}})},
           {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 7}, {"total_tokens", 17}}}}
          .dump();

  bodies.models = json{{"object", "list"},
                       {"data", json::array({{{"id", kModel},
                                              {"object", "model"},
                                              {"created", created},
                                              {"owned_by", "switchboard-bench"}}})}}
                      .dump();

  auto chunk = [&](json delta, json finish_reason) {
    return "data: " +
           json{{"id", "chatcmpl-mock"},
                {"object", "chat.completion.chunk"},
                {"created", created},
                {"model", kModel},
                {"choices", json::array({{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", finish_reason}}})}}
               .dump() +
           "\n\n";
  };
  const std::string content = ContentOfSize(options.chunk_bytes);
  for (int i = 0; i < options.chunks; ++i) {
    json delta = {{"content", content}};
    if (i == 0) delta["role"] = "assistant";
    bodies.content_events.push_back(chunk(std::move(delta), nullptr));
  }
  bodies.tail = chunk(json::object(), "stop") + "data: [DONE]\n\n";

  auto candidate = [](std::string_view text, const char* finish_reason) {
    json out = {{"content", {{"parts", json::array({{{"text", text}}})}, {"role", "model"}}}, {"index", 0}};
    if (finish_reason != nullptr) out["finishReason"] = finish_reason;
    return out;
  };
  auto usage = [](int completion_tokens) {
    return json{{"promptTokenCount", 10},
                {"candidatesTokenCount", completion_tokens},
                {"totalTokenCount", 10 + completion_tokens}};
  };
  bodies.gemini_answer = json{{"candidates", json::array({candidate("Hello from the mock upstream.", "STOP")})},
                              {"usageMetadata", usage(7)},
                              {"modelVersion", kModel}}
                             .dump();
  auto gemini_event = [](const json& event) { return "data: " + event.dump() + "\r\n\r\n"; };
  for (int i = 0; i < options.chunks; ++i) {
    bodies.gemini_events.push_back(
        gemini_event(json{{"candidates", json::array({candidate(content, nullptr)})}, {"modelVersion", kModel}}));
  }
  bodies.gemini_tail = gemini_event(json{{"candidates", json::array({candidate("", "STOP")})},
                                         {"usageMetadata", usage(options.chunks)},
                                         {"modelVersion", kModel}});
  return bodies;
}

template <class Body>
void SetCommonHeaders(http::response<Body>& response, bool keep_alive, std::string_view content_type,
                      const Options& options) {
  response.set(http::field::server, kServerName);
  response.set(http::field::content_type, content_type);
  for (int i = 0; i < options.head_fields; ++i) response.insert(kHostedFields[i].first, kHostedFields[i].second);
  response.keep_alive(keep_alive);
}

// A JSON response with Content-Length.
http::response<http::string_body> JsonResponse(http::status status, unsigned version, bool keep_alive,
                                               std::string body, const Options& options) {
  http::response<http::string_body> response{status, version};
  SetCommonHeaders(response, keep_alive, "application/json", options);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

std::string ErrorBody(std::string_view message, std::string_view type) {
  return nlohmann::json{{"error", {{"message", message}, {"type", type}, {"code", nullptr}}}}.dump();
}

// Writes an SSE answer: header, the content events D ms apart, the tail, the
// last chunk. Returns false when the client went away (the connection is done).
asio::awaitable<bool> WriteStream(beast::tcp_stream& stream, unsigned version, bool keep_alive,
                                  const std::vector<std::string>& events, const std::string& tail,
                                  const Options& options) {
  http::response<http::empty_body> response{http::status::ok, version};
  SetCommonHeaders(response, keep_alive, "text/event-stream", options);
  response.set(http::field::cache_control, "no-cache");
  response.chunked(true);
  http::response_serializer<http::empty_body> serializer{response};

  stream.expires_after(kWriteTimeout);
  if (auto [ec, n] = co_await http::async_write_header(stream, serializer, kUseAwaitable); ec) co_return false;

  asio::steady_timer timer{stream.get_executor()};
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0 && options.chunk_delay_ms > 0) {
      timer.expires_after(std::chrono::milliseconds(options.chunk_delay_ms));
      if (auto [ec] = co_await timer.async_wait(kUseAwaitable); ec) co_return false;
    }
    stream.expires_after(kWriteTimeout);
    auto [ec, n] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(events[i])), kUseAwaitable);
    if (ec) co_return false;
  }
  // The finish event (and [DONE]) and the terminating zero-size chunk in one write.
  stream.expires_after(kWriteTimeout);
  auto [ec, n] = co_await asio::async_write(
      stream, beast::buffers_cat(http::make_chunk(asio::buffer(tail)), http::make_chunk_last()), kUseAwaitable);
  co_return !ec;
}

// simdjson, not nlohmann/json: nlohmann took 8.6 us of a SillyTavern-sized
// request (close to half of the mock's CPU per request under wrk) and 7 ms of
// a 1 MiB one, so the mock measured its JSON library more than the router.
// simdjson takes 0.2 us and 0.14 ms. One parser per thread: it keeps its
// buffers between requests.
bool WantsStream(const std::string& body, bool& parsed) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object request;
  parsed = parser.parse(body).get_object().get(request) == simdjson::SUCCESS;
  if (!parsed) return false;
  bool stream = false;
  return request["stream"].get_bool().get(stream) == simdjson::SUCCESS && stream;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// One connection: read a request, answer it, again while keep-alive holds.
asio::awaitable<void> Session(tcp::socket socket, const Bodies& bodies, const Options& options) {
  beast::tcp_stream stream{std::move(socket)};
  beast::flat_buffer buffer;
  // Beast reads into the buffer's free capacity (at least 512 bytes), and the
  // parser takes body bytes out as they come, so the buffer never grows: a
  // 1 MiB body took 2,048 reads (and as many timer resets) of 512 bytes.
  buffer.reserve(kReadSize);
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kBodyLimit);
    stream.expires_after(kIdleTimeout);
    auto [read_ec, read_n] = co_await http::async_read(stream, buffer, parser, kUseAwaitable);
    if (read_ec) break;  // end_of_stream, timeout, reset or a malformed request: close.

    const auto& request = parser.get();
    const bool keep_alive = request.keep_alive();
    const unsigned version = request.version();
    std::string_view path = request.target();
    path = path.substr(0, path.find('?'));

    const bool openai = EndsWith(path, "/chat/completions");
    const bool gemini = EndsWith(path, ":generateContent");
    const bool gemini_stream = EndsWith(path, ":streamGenerateContent");
    if (request.method() == http::verb::post && (openai || gemini || gemini_stream)) {
      bool parsed = false;
      const bool stream_requested = WantsStream(request.body(), parsed);
      if (!parsed) {
        auto response = JsonResponse(http::status::bad_request, version, keep_alive,
                                     ErrorBody("request body is not a JSON object", "invalid_request_error"),
                                     options);
        stream.expires_after(kWriteTimeout);
        if (auto [ec, n] = co_await http::async_write(stream, response, kUseAwaitable); ec) break;
      } else if (gemini_stream) {
        if (!co_await WriteStream(stream, version, keep_alive, bodies.gemini_events, bodies.gemini_tail, options)) {
          break;
        }
      } else if (openai && stream_requested) {
        if (!co_await WriteStream(stream, version, keep_alive, bodies.content_events, bodies.tail, options)) break;
      } else {
        auto response =
            JsonResponse(http::status::ok, version, keep_alive, gemini ? bodies.gemini_answer : bodies.completion,
                         options);
        stream.expires_after(kWriteTimeout);
        if (auto [ec, n] = co_await http::async_write(stream, response, kUseAwaitable); ec) break;
      }
    } else if (request.method() == http::verb::get && EndsWith(path, "/models")) {
      auto response = JsonResponse(http::status::ok, version, keep_alive, bodies.models, options);
      stream.expires_after(kWriteTimeout);
      if (auto [ec, n] = co_await http::async_write(stream, response, kUseAwaitable); ec) break;
    } else {
      auto response = JsonResponse(http::status::not_found, version, keep_alive,
                                   ErrorBody("no such route on the mock upstream", "invalid_request_error"),
                                   options);
      stream.expires_after(kWriteTimeout);
      if (auto [ec, n] = co_await http::async_write(stream, response, kUseAwaitable); ec) break;
    }
    if (!keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

// Accepts on `acceptor` and hands each connection to the next io_context.
asio::awaitable<void> Listen(tcp::acceptor& acceptor, std::vector<std::unique_ptr<asio::io_context>>& contexts,
                             const Bodies& bodies, const Options& options) {
  size_t next = 0;
  asio::steady_timer backoff{acceptor.get_executor()};
  for (;;) {
    asio::io_context& context = *contexts[next];
    next = (next + 1) % contexts.size();
    auto [ec, accepted] = co_await acceptor.async_accept(context, kUseAwaitable);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors and the like: wait a little instead of spinning.
      std::cerr << R"({"msg":"accept failed","error":")" << ec.message() << "\"}\n";
      backoff.expires_after(10ms);
      co_await backoff.async_wait(kUseAwaitable);
      continue;
    }
    tcp::socket socket{std::move(accepted)};
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(context, Session(std::move(socket), bodies, options), asio::detached);
  }
}

void PrintUsage(std::ostream& out) {
  out << "usage: mock_upstream [--port P] [--threads T] [--chunks N] [--chunk-bytes S] [--chunk-delay-ms D]\n"
         "                     [--head-fields F]\n"
         "  --port P            listen on 127.0.0.1:P, 0 for an ephemeral port (default 0)\n"
         "  --threads T         threads, one io_context each (default 1)\n"
         "  --chunks N          content chunks of a streamed answer (default 20)\n"
         "  --chunk-bytes S     content bytes per chunk (default 16)\n"
         "  --chunk-delay-ms D  delay between two content chunks (default 0)\n"
         "  --head-fields F     a hosted API's head fields in every response, 0 to 19 (default 0)\n"
         "Prints {\"msg\":\"ready\",\"api\":\"127.0.0.1:PORT\"} on stderr once listening.\n";
}

bool ParseInt(std::string_view text, int min, int max, int& out) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) return false;
  out = value;
  return true;
}

// Returns 0 when `options` is filled, else the exit status to end with.
int ParseArgs(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      PrintUsage(std::cout);
      return -1;
    }
    if (i + 1 >= argc) {
      std::cerr << "mock_upstream: " << arg << " needs a value\n";
      PrintUsage(std::cerr);
      return 2;
    }
    const std::string_view value = argv[++i];
    int port = 0;
    bool ok = false;
    if (arg == "--port") {
      ok = ParseInt(value, 0, 65535, port);
      options.port = static_cast<uint16_t>(port);
    } else if (arg == "--threads") {
      ok = ParseInt(value, 1, 256, options.threads);
    } else if (arg == "--chunks") {
      ok = ParseInt(value, 1, 1'000'000, options.chunks);
    } else if (arg == "--chunk-bytes") {
      ok = ParseInt(value, 1, 1'000'000, options.chunk_bytes);
    } else if (arg == "--chunk-delay-ms") {
      ok = ParseInt(value, 0, 600'000, options.chunk_delay_ms);
    } else if (arg == "--head-fields") {
      ok = ParseInt(value, 0, kMaxHeadFields, options.head_fields);
    } else {
      std::cerr << "mock_upstream: unknown option " << arg << "\n";
      PrintUsage(std::cerr);
      return 2;
    }
    if (!ok) {
      std::cerr << "mock_upstream: bad value for " << arg << ": " << value << "\n";
      return 2;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (const int status = ParseArgs(argc, argv, options); status != 0) return status < 0 ? 0 : status;

  const Bodies bodies = BuildBodies(options);

  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (int i = 0; i < options.threads; ++i) {
    contexts.push_back(std::make_unique<asio::io_context>(1));
    guards.push_back(asio::make_work_guard(*contexts.back()));
  }
  asio::io_context& main_context = *contexts.front();

  tcp::acceptor acceptor{main_context};
  try {
    const tcp::endpoint endpoint{asio::ip::make_address("127.0.0.1"), options.port};
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
  } catch (const std::exception& e) {
    std::cerr << R"({"msg":"listen failed","error":")" << e.what() << "\"}\n";
    return 1;
  }

  asio::signal_set signals{main_context, SIGINT, SIGTERM};
  signals.async_wait([&](const beast::error_code&, int) {
    for (auto& context : contexts) context->stop();
  });

  asio::co_spawn(main_context, Listen(acceptor, contexts, bodies, options), asio::detached);

  std::cerr << R"({"msg":"ready","api":"127.0.0.1:)" << acceptor.local_endpoint().port() << R"(","threads":)"
            << options.threads << R"(,"chunks":)" << options.chunks << R"(,"chunkBytes":)" << options.chunk_bytes
            << R"(,"chunkDelayMs":)" << options.chunk_delay_ms << "}" << std::endl;

  std::vector<std::thread> threads;
  for (size_t i = 1; i < contexts.size(); ++i) threads.emplace_back([&context = *contexts[i]] { context.run(); });
  main_context.run();
  for (auto& thread : threads) thread.join();
  return 0;
}
