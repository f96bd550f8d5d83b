#include "dataplane/processors/squash.h"

#include <algorithm>

#include "dataplane/processors/messages.h"

namespace switchboard::processors {
namespace {

// Collects the content parts of a merged array content: consecutive text pieces
// are joined with the separator into one text part; other parts pass through.
class PartsBuilder {
 public:
  explicit PartsBuilder(std::string_view separator) : separator_(separator) {}

  // A text piece; `part` is the original text part it came from, if any (a
  // piece that stays alone keeps its part object, with any extra fields).
  void AddText(const std::string& text, nlohmann::json* part) {
    if (pending_ > 0) text_ += separator_;
    text_ += text;
    ++pending_;
    single_part_ = pending_ == 1 ? part : nullptr;
  }

  void AddOther(nlohmann::json&& part) {
    Flush();
    parts_.push_back(std::move(part));
  }

  nlohmann::json Finish() {
    Flush();
    return std::move(parts_);
  }

 private:
  void Flush() {
    if (pending_ == 0) return;
    if (pending_ == 1 && single_part_ != nullptr) {
      parts_.push_back(std::move(*single_part_));
    } else {
      nlohmann::json part = {{"type", "text"}, {"text", std::move(text_)}};
      parts_.push_back(std::move(part));
    }
    text_.clear();
    pending_ = 0;
    single_part_ = nullptr;
  }

  const std::string_view separator_;
  nlohmann::json parts_ = nlohmann::json::array();
  std::string text_;
  size_t pending_ = 0;
  nlohmann::json* single_part_ = nullptr;
};

// The message's content, or nullptr when it has none.
nlohmann::json* ContentOf(nlohmann::json& message) {
  auto content = message.find("content");
  return content == message.end() ? nullptr : &*content;
}

}  // namespace

bool SquashProcessor::Squashes(std::string_view role) const {
  return !role.empty() && std::find(roles_.begin(), roles_.end(), role) != roles_.end();
}

nlohmann::json SquashProcessor::Merge(nlohmann::json& messages, size_t first,
                                      size_t last) const {
  bool any_array = false;
  bool any_text = false;
  for (size_t i = first; i < last; ++i) {
    const nlohmann::json* content = ContentOf(messages[i]);
    if (content == nullptr) continue;
    any_array = any_array || content->is_array();
    any_text = any_text || content->is_string() || content->is_array();
  }
  nlohmann::json merged = std::move(messages[first]);
  if (!any_text) return merged;  // nothing to join: keep the first message as it is

  if (!any_array) {
    std::string text;
    bool first_piece = true;
    for (size_t i = first; i < last; ++i) {
      const nlohmann::json* content = ContentOf(i == first ? merged : messages[i]);
      if (content == nullptr || !content->is_string()) continue;
      if (!first_piece) text += separator_;
      text += content->get_ref<const std::string&>();
      first_piece = false;
    }
    merged["content"] = std::move(text);
    return merged;
  }

  PartsBuilder builder(separator_);
  for (size_t i = first; i < last; ++i) {
    nlohmann::json* content = ContentOf(i == first ? merged : messages[i]);
    if (content == nullptr) continue;
    if (content->is_string()) {
      builder.AddText(content->get_ref<const std::string&>(), nullptr);
    } else if (content->is_array()) {
      for (nlohmann::json& part : *content) {
        if (IsTextPart(part)) {
          builder.AddText(part["text"].get_ref<const std::string&>(), &part);
        } else {
          builder.AddOther(std::move(part));
        }
      }
    }
  }
  // Build before assigning: the builder may still point into merged["content"].
  nlohmann::json parts = builder.Finish();
  merged["content"] = std::move(parts);
  return merged;
}

void SquashProcessor::Apply(nlohmann::json& request, Rng&) const {
  nlohmann::json* messages = MessagesOf(request);
  if (messages == nullptr || messages->size() < 2) return;
  nlohmann::json& list = *messages;
  const size_t count = list.size();

  // Most requests have nothing to squash: check before rebuilding the list.
  bool any_run = false;
  for (size_t i = 1; i < count && !any_run; ++i) {
    std::string_view role = RoleOf(list[i]);
    any_run = Squashes(role) && RoleOf(list[i - 1]) == role;
  }
  if (!any_run) return;

  nlohmann::json squashed = nlohmann::json::array();
  size_t first = 0;
  while (first < count) {
    size_t last = first + 1;
    {
      const std::string_view role = RoleOf(list[first]);
      if (Squashes(role)) {
        while (last < count && RoleOf(list[last]) == role) ++last;
      }
    }
    if (last - first == 1) {
      squashed.push_back(std::move(list[first]));
    } else {
      squashed.push_back(Merge(list, first, last));
    }
    first = last;
  }
  list = std::move(squashed);
}

absl::StatusOr<ProcessorPtr> BuildSquash(const ProcessorConfig& config, const std::string& path) {
  if (config.roles().empty()) {
    return ConfigError(FieldPath(path, "roles"),
                       "required (a non-empty list of " + std::string(kMessageRolesText) + ")");
  }
  std::vector<std::string> roles;
  for (int i = 0; i < config.roles_size(); ++i) {
    const std::string& role = config.roles(i);
    if (!IsMessageRole(role)) {
      return ConfigError(FieldPath(path, "roles[" + std::to_string(i) + "]"),
                         "role must be one of " + std::string(kMessageRolesText) + " (got '" +
                             role + "')");
    }
    roles.push_back(role);
  }
  std::string separator =
      config.has_squash_string() ? config.squash_string() : std::string(kDefaultSquashString);
  return std::make_unique<const SquashProcessor>(std::move(roles), std::move(separator));
}

}  // namespace switchboard::processors
