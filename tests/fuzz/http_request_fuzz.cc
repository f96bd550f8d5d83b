// Fuzz target: raw bytes from a client, through everything the data plane does
// with a request before it goes upstream.
//
// The bytes are one connection's worth of requests (pipelined), cut into reads
// as a socket might deliver them (the first byte chooses how). Each request is
// read with the server's RequestParser (our head reader, with Beast's parser
// behind it) and its limits (server.cc), then the session's checks and the
// dispatcher's steps run as they do there: path normalisation, client profile
// and route matching, CORS, client keys, the chat body's validation, routing
// to a concrete model, the processor chains, prefills, and the upstream
// request the adapter builds — or the trivial provider's answer. Every error
// body the client would get is built too, and every response header block is
// serialised and parsed back (no header value may split a response).

#include <chrono>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "dataplane/processors/insert_message.h"
#include "dataplane/providers/errors.h"
#include "dataplane/providers/prefill.h"
#include "dataplane/providers/trivial.h"
#include "dataplane/server/chat_body.h"
#include "dataplane/server/request_parser.h"
#include "dataplane/server/routes.h"
#include "tests/fuzz/fuzz_util.h"

namespace switchboard::fuzz {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;

// A response's header block as the server would write it, parsed back: it
// must come back as one response with the same fields.
void CheckResponseHeaders(const http::response<http::string_body>& response) {
  std::ostringstream wire;
  wire << response;
  std::string text = wire.str();
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  beast::error_code ec;
  size_t used = parser.put(boost::asio::buffer(text), ec);
  if (ec || !parser.is_done() || used != text.size()) Fail("a response we would write does not parse back");
  size_t sent = std::distance(response.begin(), response.end());
  size_t read = std::distance(parser.get().begin(), parser.get().end());
  if (sent != read) Fail("a response header split into several");
}

http::response<http::string_body> Response(int status, std::string body) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::server, "switchboard");
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

void SendError(const providers::ClientError& error) {
  std::string body = providers::ErrorBody(error);
  if (!json::accept(body)) Fail("an error body is not JSON");
  CheckResponseHeaders(Response(error.status, std::move(body)));
}

void InsertSystemPrefill(json& body, const std::string& content, int64_t position) {
  auto& messages = body["messages"];
  size_t index = processors::InsertMessageProcessor::SpliceIndex(position, messages.size());
  messages.insert(messages.begin() + static_cast<std::ptrdiff_t>(index), json{{"role", "system"}, {"content", content}});
}

// ServeChat (chat.cc) up to the upstream request.
void Chat(const server::RequestParser& request, const routing::ClientProfile* profile, Rng& rng) {
  const routing::Snapshot& snapshot = RoutingSnapshot();
  json body;
  providers::ClientError error;
  if (!server::ParseChatBody(request.body(), body, error)) return SendError(error);
  std::string requested_model = body["model"].get<std::string>();
  auto stream = body.find("stream");
  bool streamed = stream != body.end() && stream->is_boolean() && stream->get<bool>();
  const routing::Model* requested = profile != nullptr ? profile->default_model : nullptr;
  if (requested == nullptr) requested = snapshot.Find(requested_model);
  if (requested == nullptr) {
    return SendError(providers::MakeError(404, "invalid_request_error", "model_not_found",
                                          "The model '" + requested_model + "' does not exist.", "model"));
  }
  routing::Route route = snapshot.Resolve(*requested, rng, {}, routing::Clock::time_point{});
  if (route.model == nullptr) Fail("a model resolved to nothing with nothing excluded");
  const routing::Model& model = *route.model;
  if (profile != nullptr && profile->system_prefill) {
    InsertSystemPrefill(body, *profile->system_prefill, profile->system_prefill_position);
  }
  for (const auto* chain : route.chains) chain->Apply(body, rng);
  if (model.type == routing::ProviderType::kTrivial) {
    providers::TrivialResponse response{"chatcmpl-fuzz", requested_model, 0, model.output,
                                        providers::EstimateTokens(request.body())};
    CheckResponseHeaders(Response(200, providers::TrivialCompletionBody(response)));
    for (const auto& chunk : providers::TrivialChunks(response, streamed)) {
      if (!json::accept(chunk)) Fail("a trivial chunk is not JSON");
    }
    return;
  }
  std::string prefill;
  if (!model.prefill_disabled) {
    if (model.prefill) {
      prefill = *model.prefill;
    } else if (profile != nullptr && profile->prefill) {
      prefill = *profile->prefill;
    }
  }
  if (!prefill.empty()) providers::AppendPrefill(body, prefill, model.mistral_prefix);
  const routing::Key* key = model.keys.Next(routing::Clock::time_point{});
  auto upstream = model.adapter->BuildRequest(model.target, std::move(body), key ? std::string_view(key->value) : "");
  if (!upstream.ok()) return SendError(providers::InvalidRequest("invalid_request", std::string(upstream.status().message())));
  if (!json::accept(upstream->body)) Fail("an upstream request body is not JSON");
}

// Dispatch (server.cc) for one request that was read whole.
void Dispatch(const server::RequestParser& req, Rng& rng) {
  const routing::ClientSettings& client = RoutingSnapshot().client();
  std::string path = server::NormalizePath(req.target());
  if (path.empty()) Fail("a normalised path is empty");
  std::string model_id;
  std::string_view rest;
  const routing::ClientProfile* profile = client.Match(path, &rest);
  server::Route route =
      profile != nullptr ? server::MatchProfileRoute(rest, &model_id) : server::MatchRoute(path, &model_id);
  std::string allow_origin = client.AllowOrigin(req.field("Origin"));

  if (req.method() == http::verb::options) {
    // The preflight echoes the headers the browser asks for.
    http::response<http::string_body> res{http::status::no_content, 11};
    if (!allow_origin.empty()) res.set(http::field::access_control_allow_origin, allow_origin);
    std::string allow = "Authorization, Content-Type, X-API-Key";
    std::string_view requested_headers = req.field("Access-Control-Request-Headers");
    if (!requested_headers.empty()) allow += ", " + std::string(requested_headers);
    res.set("Access-Control-Allow-Headers", allow);
    res.prepare_payload();
    return CheckResponseHeaders(res);
  }
  std::string_view presented = switchboard::server::PresentedClientKey(req.field("Authorization"), req.field("X-API-Key"));
  const routing::ClientKey* key = client.Authenticate(presented);
  if (key == nullptr) {
    return SendError(providers::MakeError(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided."));
  }
  std::chrono::steady_clock::duration wait{};
  if (!key->Admit(std::chrono::steady_clock::time_point{}, &wait)) {
    auto seconds = std::max<int64_t>(1, std::chrono::ceil<std::chrono::seconds>(wait).count());
    return SendError(providers::MakeError(429, "rate_limit_error", "client_rate_limited",
                                          "try again in " + std::to_string(seconds) + " s"));
  }
  switch (route) {
    case server::Route::kChat:
      if (req.method() != http::verb::post) {
        return SendError(providers::MakeError(405, "invalid_request_error", "method_not_allowed",
                                              std::string(req.method_string()) + " is not allowed on " + path));
      }
      return Chat(req, profile, rng);
    case server::Route::kModels:
      return;
    case server::Route::kModel:
      if (model_id.empty()) Fail("a model route without a model id");
      if (RoutingSnapshot().Find(model_id) == nullptr) {
        return SendError(providers::MakeError(404, "invalid_request_error", "model_not_found",
                                              "The model '" + model_id + "' does not exist", "model"));
      }
      return;
    case server::Route::kUnknown:
      return SendError(providers::MakeError(404, "invalid_request_error", "not_found",
                                            "No route for " + std::string(req.method_string()) + " " + path));
  }
}

// One request off `buffer` (which the next reads append to), as RunSession
// reads it: the header, the body-limit check, the body. False when the
// connection would be closed.
bool ReadOne(beast::flat_buffer& buffer, const std::vector<std::string_view>& chunks, size_t& next_chunk, Rng& rng) {
  const routing::Settings& settings = RoutingSnapshot().settings();
  server::RequestParser parser;
  parser.header_limit(server::kHeaderLimitBytes);
  parser.body_limit(settings.body_limit_bytes);
  parser.eager(true);
  beast::error_code ec;
  bool header_checked = false;
  for (;;) {
    bool progress = false;
    if (buffer.size() > 0) {
      size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      progress = used > 0;
      if (ec == http::error::need_more) {
        ec = {};
        progress = false;
      }
      if (ec) break;
    }
    if (parser.is_header_done() && !header_checked) {
      header_checked = true;
      if (auto length = parser.content_length(); length && *length > settings.body_limit_bytes) {
        SendError(providers::MakeError(413, "invalid_request_error", "request_too_large", "too large"));
        return false;
      }
    }
    if (parser.is_done()) break;
    if (progress && buffer.size() > 0) continue;
    if (next_chunk == chunks.size()) {
      // The client closed the connection mid-request: the session gives up.
      if (parser.got_some()) parser.put_eof(ec);
      return false;
    }
    std::string_view chunk = chunks[next_chunk++];
    auto space = buffer.prepare(chunk.size());
    boost::asio::buffer_copy(space, boost::asio::buffer(chunk.data(), chunk.size()));
    buffer.commit(chunk.size());
  }
  if (ec == http::error::body_limit) {
    SendError(providers::MakeError(413, "invalid_request_error", "request_too_large", "too large"));
    return false;
  }
  if (ec == http::error::header_limit) {
    SendError(providers::MakeError(431, "invalid_request_error", "headers_too_large", "too large"));
    return false;
  }
  if (ec) {
    SendError(providers::MakeError(400, "invalid_request_error", "bad_request", "Malformed HTTP request"));
    return false;
  }
  Dispatch(parser, rng);
  return parser.keep_alive();
}

}  // namespace
}  // namespace switchboard::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchboard::fuzz;
  Input input(AsText(data, size));
  uint8_t split = input.Byte();
  auto chunks = Chunks(input.Rest(), split);
  switchboard::Rng rng(size);
  boost::beast::flat_buffer buffer;
  size_t next_chunk = 0;
  // At most a few requests per connection keep each input fast.
  for (int i = 0; i < 8; ++i) {
    if (!ReadOne(buffer, chunks, next_chunk, rng)) break;
    if (buffer.size() == 0 && next_chunk == chunks.size()) break;
  }
  return 0;
}
