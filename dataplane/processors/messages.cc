#include "dataplane/processors/messages.h"

namespace switchboard::processors {

bool IsMessageRole(std::string_view role) {
  for (std::string_view known : kMessageRoles) {
    if (role == known) return true;
  }
  return false;
}

nlohmann::json* MessagesOf(nlohmann::json& request) {
  if (!request.is_object()) return nullptr;
  auto messages = request.find("messages");
  if (messages == request.end() || !messages->is_array()) return nullptr;
  return &*messages;
}

std::string_view RoleOf(const nlohmann::json& message) {
  if (!message.is_object()) return {};
  auto role = message.find("role");
  if (role == message.end() || !role->is_string()) return {};
  return role->get_ref<const std::string&>();
}

void SetRole(nlohmann::json& message, std::string_view role) {
  if (!message.is_object()) return;
  message["role"] = std::string(role);
}

bool IsTextPart(const nlohmann::json& part) {
  if (!part.is_object()) return false;
  auto type = part.find("type");
  if (type == part.end() || !type->is_string() || type->get_ref<const std::string&>() != "text") {
    return false;
  }
  auto text = part.find("text");
  return text != part.end() && text->is_string();
}

}  // namespace switchboard::processors
