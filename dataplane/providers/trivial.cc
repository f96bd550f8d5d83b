#include "dataplane/providers/trivial.h"

#include <nlohmann/json.hpp>

namespace switchboard::providers {
namespace {

nlohmann::json UsageJson(const TrivialResponse& r) {
  int64_t completion = EstimateTokens(r.output);
  return {{"prompt_tokens", r.prompt_tokens},
          {"completion_tokens", completion},
          {"total_tokens", r.prompt_tokens + completion}};
}

nlohmann::json ChunkBase(const TrivialResponse& r) {
  return {{"id", r.id}, {"object", "chat.completion.chunk"}, {"created", r.created}, {"model", r.model}};
}

}  // namespace

int64_t EstimateTokens(std::string_view text) {
  int64_t words = 0;
  bool in_word = false;
  for (char c : text) {
    bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  int64_t by_bytes = static_cast<int64_t>((text.size() + 3) / 4);
  return std::max(words, by_bytes);
}

std::string TrivialCompletionBody(const TrivialResponse& r) {
  nlohmann::json body = {
      {"id", r.id},
      {"object", "chat.completion"},
      {"created", r.created},
      {"model", r.model},
      {"choices",
       {{{"index", 0},
         {"message", {{"role", "assistant"}, {"content", r.output}}},
         {"logprobs", nullptr},
         {"finish_reason", "stop"}}}},
      {"usage", UsageJson(r)},
  };
  return body.dump();
}

std::vector<std::string> TrivialChunks(const TrivialResponse& r, bool include_usage) {
  std::vector<std::string> chunks;
  nlohmann::json first = ChunkBase(r);
  first["choices"] = {{{"index", 0}, {"delta", {{"role", "assistant"}, {"content", ""}}}, {"logprobs", nullptr},
                       {"finish_reason", nullptr}}};
  chunks.push_back(first.dump());
  // Pieces of three words, spaces kept, so the text arrives as a client would
  // see a model type it.
  std::string_view text = r.output;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = pos;
    int words = 0;
    while (end < text.size() && words < 3) {
      while (end < text.size() && text[end] == ' ') ++end;
      while (end < text.size() && text[end] != ' ') ++end;
      ++words;
    }
    nlohmann::json chunk = ChunkBase(r);
    chunk["choices"] = {{{"index", 0},
                         {"delta", {{"content", std::string(text.substr(pos, end - pos))}}},
                         {"logprobs", nullptr},
                         {"finish_reason", nullptr}}};
    chunks.push_back(chunk.dump());
    pos = end;
  }
  nlohmann::json last = ChunkBase(r);
  last["choices"] = {{{"index", 0}, {"delta", nlohmann::json::object()}, {"logprobs", nullptr},
                      {"finish_reason", "stop"}}};
  chunks.push_back(last.dump());
  if (include_usage) {
    nlohmann::json usage = ChunkBase(r);
    usage["choices"] = nlohmann::json::array();
    usage["usage"] = UsageJson(r);
    chunks.push_back(usage.dump());
  }
  return chunks;
}

}  // namespace switchboard::providers
