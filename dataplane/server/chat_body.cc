#include "dataplane/server/chat_body.h"

#include <string>

#include "dataplane/providers/json_codec.h"

namespace switchboard::server {

using nlohmann::json;

bool ParseChatBody(std::string_view text, json& body, providers::ClientError& error, uint64_t kept_use) {
  try {
    providers::ParseJson(text, body, kept_use);
  } catch (const json::parse_error& e) {
    error = providers::InvalidRequest(
        "invalid_json", "We could not parse the JSON body of your request (at byte " + std::to_string(e.byte) +
                            "). Send a JSON object with 'model' and 'messages'.");
    return false;
  } catch (const json::out_of_range&) {
    // A number too large for a double (1e999): nlohmann throws this one
    // apart from parse_error. Left uncaught it ended the session's coroutine
    // without an answer or its bookkeeping (fuzz: chat_processors).
    error = providers::InvalidRequest(
        "invalid_json", "A number in the JSON body of your request is out of range (larger than a double can hold).");
    return false;
  }
  if (!body.is_object()) {
    error = providers::InvalidRequest("invalid_json", "The request body must be a JSON object.");
    return false;
  }
  auto model = body.find("model");
  if (model == body.end() || !model->is_string() || model->get_ref<const std::string&>().empty()) {
    error = providers::InvalidRequest("missing_model", "You must provide a model parameter (a string).", "model");
    return false;
  }
  auto messages = body.find("messages");
  if (messages == body.end() || !messages->is_array()) {
    error = providers::InvalidRequest("missing_messages", "You must provide 'messages' (an array of messages).",
                                      "messages");
    return false;
  }
  if (auto stream = body.find("stream"); stream != body.end() && !stream->is_boolean() && !stream->is_null()) {
    error = providers::InvalidRequest("invalid_type", "'stream' must be a boolean.", "stream");
    return false;
  }
  return true;
}

}  // namespace switchboard::server
