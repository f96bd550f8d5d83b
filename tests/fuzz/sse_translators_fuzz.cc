// Fuzz target: an upstream's answer, as bytes, through the SSE parser and every
// response translator.
//
// Input: a mode byte, a split byte, then the upstream's body. The mode picks
// the translator (OpenAI-compatible or Gemini; whether the client asked for
// usage; whether the prefill-stripping translator wraps it) and the upstream
// status for TranslateError; the split byte cuts the body into reads
// (fuzz_util.h). The body is fed to the SseParser read by read and each event
// to TranslateEvent, as the chat handler relays a stream, then Finish; a fresh
// translator gets the whole body as a non-streamed answer (TranslateBody) and
// as an error (TranslateError).
//
// What must hold: nothing throws or crashes; every payload for the client is
// JSON; the SSE text we write parses back into the same payloads; error bodies
// are JSON; the PrefillMatcher passes an answer on unchanged unless it
// stripped the prefill, and then passes on a suffix of it.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/providers/errors.h"
#include "dataplane/providers/gemini.h"
#include "dataplane/providers/openai_compat.h"
#include "dataplane/providers/prefill.h"
#include "dataplane/providers/sse.h"
#include "tests/fuzz/fuzz_util.h"

namespace switchboard::fuzz {
namespace {

using nlohmann::json;

constexpr std::string_view kPrefill = "((OOC: Sure,  continuing!))";
constexpr int kStatuses[] = {400, 401, 403, 404, 408, 413, 429, 500, 502, 503, 504, 529, 200, 301, 418, 599};

std::unique_ptr<providers::ResponseTranslator> NewTranslator(uint8_t mode) {
  static const providers::OpenAiCompatAdapter openai;
  static const providers::GeminiAdapter gemini;
  providers::RequestInfo info{"client-model", true, (mode & 2) != 0, "chatcmpl-fuzz", 1700000000};
  std::unique_ptr<providers::ResponseTranslator> translator =
      (mode & 1) != 0 ? gemini.NewTranslator(info) : openai.NewTranslator(info);
  if ((mode & 4) != 0) translator = providers::NewPrefillStrippingTranslator(std::move(translator), std::string(kPrefill));
  return translator;
}

// The SSE text the client gets for `payloads`, parsed back.
void CheckRoundTrip(const std::vector<std::string>& payloads) {
  std::string wire;
  for (const auto& payload : payloads) {
    if (!json::accept(payload)) Fail("a payload for the client is not JSON");
    providers::AppendSseData(wire, payload);
  }
  providers::SseParser parser(size_t{1} << 30);
  std::vector<std::string> events;
  auto collect = [&](const providers::SseEvent& event) { events.emplace_back(event.data); };
  if (!parser.Feed(wire, collect) || !parser.Flush(collect)) Fail("our own SSE does not parse");
  if (events.size() != payloads.size()) Fail("our own SSE parses into another number of events");
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i] != payloads[i]) Fail("our own SSE parses into other data");
  }
}

void Stream(uint8_t mode, const std::vector<std::string_view>& chunks) {
  auto translator = NewTranslator(mode);
  // A small bound as well, so that its failure path runs too.
  providers::SseParser parser((mode & 8) != 0 ? 64 : 8 << 20);
  std::vector<std::string> payloads;
  auto translate = [&](const providers::SseEvent& event) { translator->TranslateEvent(event.data, payloads); };
  bool ok = true;
  for (std::string_view chunk : chunks) {
    // From a buffer of its own, overwritten after the Feed, as a socket
    // buffer is: what the parser keeps must be its own copy.
    std::string buffer(chunk);
    ok = parser.Feed(buffer, translate);
    buffer.assign(buffer.size(), '\0');
    if (!ok) break;
    CheckRoundTrip(payloads);
    payloads.clear();
    if (translator->done()) break;
  }
  if (ok && !translator->done()) {
    ok = parser.Flush(translate);
  }
  if (ok != !parser.failed()) Fail("the SSE parser's result and failed() disagree");
  translator->Finish(payloads);
  CheckRoundTrip(payloads);
  for (const auto& warning : translator->warnings()) {
    if (warning.empty()) Fail("an empty warning");
  }
  (void)translator->usage().known();
}

void Whole(uint8_t mode, std::string_view body) {
  auto translator = NewTranslator(mode);
  auto translated = translator->TranslateBody(std::string(body));
  if (translated.ok() && !json::accept(*translated)) Fail("a translated body is not JSON");
  auto fresh = NewTranslator(mode);
  providers::ClientError error = fresh->TranslateError(kStatuses[mode >> 4], body);
  if (!json::accept(providers::ErrorBody(error))) Fail("an error body is not JSON");
  std::string message = providers::UpstreamErrorMessage(kStatuses[mode >> 4], body);
  if (message.empty()) Fail("an empty upstream error message");
}

void Prefill(const std::vector<std::string_view>& chunks, std::string_view whole) {
  providers::PrefillMatcher matcher(kPrefill);
  std::string out;
  for (std::string_view chunk : chunks) out += matcher.Push(chunk);
  out += matcher.Finish();
  if (!matcher.stripped()) {
    if (out != whole) Fail("the prefill matcher changed an answer without the prefill");
  } else if (out.size() > whole.size() || whole.substr(whole.size() - out.size()) != out) {
    Fail("the prefill matcher passed on more than the answer after the prefill");
  }
}

}  // namespace
}  // namespace switchboard::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchboard::fuzz;
  Input input(AsText(data, size));
  uint8_t mode = input.Byte();
  uint8_t split = input.Byte();
  std::string_view body = input.Rest();
  auto chunks = Chunks(body, split);
  Stream(mode, chunks);
  Whole(mode, body);
  Prefill(chunks, body);
  return 0;
}
