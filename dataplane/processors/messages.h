#pragma once
// Helpers shared by the message processors: finding the `messages` array,
// reading and writing roles, and visiting the text of a message's content.
//
// A message's content is a string, an array of content parts
// ({"type":"text","text":...}, {"type":"image_url",...}, ...), or null/absent
// (an assistant message carrying only tool calls). Every helper checks JSON
// types before it touches a value, so a malformed request never throws.
// Stateless and thread-safe.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace switchboard::processors {

// The roles a config may name (insertmessage, squash).
inline constexpr std::string_view kMessageRoles[] = {"user", "assistant", "system", "developer"};
inline constexpr std::string_view kMessageRolesText = "user, assistant, system, developer";

bool IsMessageRole(std::string_view role);

// system and developer: the roles nosys and nodanglingsys rewrite.
inline bool IsSystemLike(std::string_view role) { return role == "system" || role == "developer"; }

// The request's `messages` array, or nullptr when the request is not an
// object, has no `messages`, or `messages` is not an array.
nlohmann::json* MessagesOf(nlohmann::json& request);

// The message's role, or "" when the message is not an object or its role is
// not a string. The view points into `message`: it dies with a change to it.
std::string_view RoleOf(const nlohmann::json& message);

// Sets the role of a message object; a non-object is left alone.
void SetRole(nlohmann::json& message, std::string_view role);

// True for a content part {"type":"text","text":<string>}.
bool IsTextPart(const nlohmann::json& part);

// Calls visit(std::string&) on each piece of the message's text: the content
// when it is a string, else the `text` of each text part of array content, in
// order. Other parts, null content and non-object messages are skipped.
template <typename Visit>
void ForEachText(nlohmann::json& message, Visit&& visit) {
  if (!message.is_object()) return;
  auto content = message.find("content");
  if (content == message.end()) return;
  if (content->is_string()) {
    visit(content->get_ref<std::string&>());
    return;
  }
  if (!content->is_array()) return;
  for (nlohmann::json& part : *content) {
    if (IsTextPart(part)) visit(part["text"].get_ref<std::string&>());
  }
}

}  // namespace switchboard::processors
