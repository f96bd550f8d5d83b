#pragma once
// OpenAI-shaped errors: {"error":{"message","type","code"}}. Messages never hold a
// key, a stack trace or the client's prompt.

#include <string>
#include <string_view>

namespace switchboard::providers {

struct ClientError {
  int status = 500;
  std::string type;     // invalid_request_error, upstream_error, server_error, ...
  std::string code;     // model_not_found, invalid_json, ... (may be empty → null)
  std::string message;
  std::string param;    // optional → null when empty
};

ClientError InvalidRequest(std::string code, std::string message, std::string param = "");

// {"error":{"message":..,"type":..,"param":..,"code":..}}
std::string ErrorBody(const ClientError& error);

// Best-effort extraction of a readable message from an upstream error body: the
// OpenAI/Gemini `error.message` (or `error` string, `message`, `detail`), else the
// body text cut to 500 bytes, else a generic sentence naming the status.
std::string UpstreamErrorMessage(int status, std::string_view body);

}  // namespace switchboard::providers

namespace switchboard::providers {
// A ClientError from its parts. (GCC 12 miscompiles braced aggregates with
// string literals inside co_await expressions; coroutines call this instead.)
inline ClientError MakeError(int status, std::string type, std::string code, std::string message,
                             std::string param = "") {
  return ClientError{status, std::move(type), std::move(code), std::move(message), std::move(param)};
}
}  // namespace switchboard::providers
