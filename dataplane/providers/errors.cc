#include "dataplane/providers/errors.h"

#include <nlohmann/json.hpp>

#include "dataplane/providers/provider.h"

namespace switchboard::providers {

ClientError InvalidRequest(std::string code, std::string message, std::string param) {
  return ClientError{400, "invalid_request_error", std::move(code), std::move(message), std::move(param)};
}

std::string ErrorBody(const ClientError& error) {
  nlohmann::json err = {{"message", error.message}, {"type", error.type}};
  err["param"] = error.param.empty() ? nlohmann::json(nullptr) : nlohmann::json(error.param);
  err["code"] = error.code.empty() ? nlohmann::json(nullptr) : nlohmann::json(error.code);
  return nlohmann::json{{"error", std::move(err)}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

// Cuts at a UTF-8 boundary.
std::string Truncate(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end)) + "...";
}

}  // namespace

std::string UpstreamErrorMessage(int status, std::string_view body) {
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (!parsed.is_discarded()) {
    const nlohmann::json* node = &parsed;
    if (node->is_array() && !node->empty()) node = &(*node)[0];  // Gemini sometimes wraps errors in a list
    if (node->is_object()) {
      if (auto it = node->find("error"); it != node->end()) {
        if (it->is_string()) return Truncate(it->get<std::string>(), 2000);
        if (it->is_object()) {
          if (auto m = it->find("message"); m != it->end() && m->is_string()) return Truncate(m->get<std::string>(), 2000);
        }
      }
      for (const char* field : {"message", "detail"}) {
        if (auto m = node->find(field); m != node->end() && m->is_string()) return Truncate(m->get<std::string>(), 2000);
      }
    }
  }
  std::string text = Truncate(body, 500);
  if (!text.empty()) return "upstream returned HTTP " + std::to_string(status) + ": " + text;
  return "upstream returned HTTP " + std::to_string(status) + " with no body";
}

ClientError ResponseTranslator::TranslateError(int status, std::string_view body) const {
  ClientError error;
  error.status = status;
  error.message = UpstreamErrorMessage(status, body);
  error.type = status == 429 ? "rate_limit_error" : status >= 500 ? "upstream_error" : "invalid_request_error";
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    if (auto it = parsed.find("error"); it != parsed.end() && it->is_object()) {
      if (auto t = it->find("type"); t != it->end() && t->is_string()) error.type = t->get<std::string>();
      if (auto c = it->find("code"); c != it->end()) {
        if (c->is_string()) error.code = c->get<std::string>();
        else if (c->is_number_integer()) error.code = std::to_string(c->get<int64_t>());
      }
    }
  }
  return error;
}

absl::StatusOr<UpstreamRequest> Adapter::BuildPassthrough(const Target&, std::string_view, const ChatBodyScan&,
                                                          std::string_view) const {
  return absl::UnimplementedError("this upstream needs the request as a JSON tree");
}

void ReadOpenAiUsage(const nlohmann::json& body, Usage& usage) {
  auto it = body.find("usage");
  if (it == body.end() || !it->is_object()) return;
  auto read = [&](const char* name, int64_t& dst) {
    if (auto f = it->find(name); f != it->end() && f->is_number_integer()) dst = f->get<int64_t>();
  };
  read("prompt_tokens", usage.prompt_tokens);
  read("completion_tokens", usage.completion_tokens);
  read("total_tokens", usage.total_tokens);
}

}  // namespace switchboard::providers
