#pragma once
// Provider adapters: how a chat request for one kind of upstream is built, and how
// the upstream's answer is turned back into OpenAI's format.
//
// Who calls them: the chat handler, on an I/O thread. An Adapter is built once per
// process, stateless and thread-safe. A ResponseTranslator is created per request
// and used only by that request (not thread-safe). Both are pure: no sockets,
// clocks or globals; they are tested by feeding them JSON and SSE fixtures.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "dataplane/providers/chat_scan.h"
#include "dataplane/providers/errors.h"
#include "common/url.h"

namespace switchboard::providers {

// The options of a gemini model provider (config.proto: systemInstruction,
// safetySettings, thinkingBudget, includeThoughts), already validated.
struct GeminiOptions {
  bool system_instruction = true;  // false: system messages are sent as user turns
  std::map<std::string, std::string> safety_thresholds;  // harm category -> threshold; others OFF
  std::optional<int32_t> thinking_budget;                // wins over the client's reasoning_effort
  std::optional<bool> include_thoughts;
};

// Where one concrete model provider sends its requests; built with the snapshot.
struct Target {
  Url url;
  std::string model_name;  // the upstream's name for the model
  GeminiOptions gemini;    // gemini only
};

struct UpstreamRequest {
  Url url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // What the client should know about how its request had to be changed to fit
  // the upstream (e.g. stop sequences dropped): short fixed sentences, never
  // request text. The handler sends them in an `x-switchboard-warning` header
  // and logs them.
  std::vector<std::string> warnings;
};

struct Usage {
  int64_t prompt_tokens = -1;
  int64_t completion_tokens = -1;
  int64_t total_tokens = -1;
  bool known() const { return total_tokens >= 0 || prompt_tokens >= 0; }
};

// What the translator needs to know about the client's request.
struct RequestInfo {
  std::string requested_model;  // the name the client asked for
  bool stream = false;
  bool include_usage = false;   // stream_options.include_usage
  std::string id;               // "chatcmpl-..." for translators that build their own objects
  int64_t created = 0;          // unix seconds, likewise
};

// Where a translator puts the payloads (JSON texts) the client gets as
// stream events. The relay frames each as it comes into the text of its next
// write; PayloadList keeps them as a list.
class PayloadSink {
 public:
  virtual void Add(std::string_view payload) = 0;

 protected:
  ~PayloadSink() = default;
};

class PayloadList final : public PayloadSink {
 public:
  explicit PayloadList(std::vector<std::string>& list) : list_(list) {}
  void Add(std::string_view payload) override { list_.emplace_back(payload); }

 private:
  std::vector<std::string>& list_;
};

class ResponseTranslator {
 public:
  virtual ~ResponseTranslator() = default;

  // A complete 2xx non-streamed upstream body -> the body the client gets. An
  // InvalidArgument error means the upstream refused the client's prompt (the
  // client gets 400 prompt_blocked with the message); any other error, 502.
  virtual absl::StatusOr<std::string> TranslateBody(std::string body) = 0;

  // One upstream SSE event's data (the text after "data: ", lines joined) ->
  // zero or more data payloads for the client, added to `out`. The upstream's
  // `[DONE]` produces nothing (the handler always ends the client's stream with
  // its own `[DONE]`) and sets done().
  virtual void TranslateEvent(std::string_view data, PayloadSink& out) = 0;

  // The upstream stream ended; payloads to send before `[DONE]`.
  virtual void Finish(PayloadSink& out) {}

  // The same, appending the payloads to a list.
  void TranslateEvent(std::string_view data, std::vector<std::string>& out) {
    PayloadList list(out);
    TranslateEvent(data, list);
  }
  void Finish(std::vector<std::string>& out) {
    PayloadList list(out);
    Finish(list);
  }

  // A non-2xx upstream answer -> the error the client gets (status preserved).
  virtual ClientError TranslateError(int status, std::string_view body) const;

  bool done() const { return done_; }
  const Usage& usage() const { return usage_; }
  // What the answer does not show but an operator should know (e.g. an
  // upstream finish reason with no OpenAI equivalent): short sentences naming
  // upstream values, never answer text. The handler logs them when the request
  // ends.
  const std::vector<std::string>& warnings() const { return warnings_; }

 protected:
  bool done_ = false;
  Usage usage_;
  std::vector<std::string> warnings_;
};

class Adapter {
 public:
  virtual ~Adapter() = default;
  // Builds the upstream request from the (already processed) client request.
  // `key` is the API key to use, or empty for none.
  virtual absl::StatusOr<UpstreamRequest> BuildRequest(const Target& target, nlohmann::json request,
                                                       std::string_view key) const = 0;
  // The same for a body no processor touched, passed on as the client wrote
  // it (chat_scan.h). Adapters that must see the tree return false from
  // CanPassThrough and are never asked.
  virtual bool CanPassThrough() const { return false; }
  // Whether BuildPassthrough sends the client's text with no more than the
  // scan (false: it reads the body's simdjson document, as Gemini's does).
  // The chat body check's quick pass leaves no document (chat_scan.h).
  virtual bool PassesTextThrough() const { return false; }
  virtual absl::StatusOr<UpstreamRequest> BuildPassthrough(const Target& target, std::string_view text,
                                                           const ChatBodyScan& scan, std::string_view key) const;
  virtual std::unique_ptr<ResponseTranslator> NewTranslator(const RequestInfo& info) const = 0;
};

// Reads `usage` from an OpenAI-shaped object, if present.
void ReadOpenAiUsage(const nlohmann::json& body, Usage& usage);

}  // namespace switchboard::providers
