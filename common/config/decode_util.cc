#include "common/config/decode_util.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "common/config/suggest.h"

namespace switchboard::config::decode {

absl::Status PathError(const std::string& path, const std::string& message) {
  return absl::InvalidArgumentError(path + ": " + message);
}

std::string SnakeCase(std::string_view camel) {
  std::string out;
  for (char c : camel) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      out.push_back('_');
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string JoinPath(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

void ObjectReader::Ignore(std::string_view camel) {
  ignored_.emplace_back(camel);
  ignored_.push_back(SnakeCase(camel));
}

absl::StatusOr<Field> ObjectReader::Get(std::string_view camel) {
  std::string camel_key(camel);
  std::string snake_key = SnakeCase(camel);
  known_.push_back(camel_key);
  if (snake_key != camel_key) known_.push_back(snake_key);

  Field field;
  field.path = JoinPath(path_, camel_key);
  auto camel_it = object_.find(camel_key);
  auto snake_it = snake_key != camel_key ? object_.find(snake_key) : object_.end();
  if (camel_it != object_.end() && snake_it != object_.end()) {
    return PathError(JoinPath(path_, snake_key),
                     "'" + snake_key + "' and '" + camel_key + "' are the same key; keep one");
  }
  if (snake_it != object_.end()) {
    AliasPaths(source_map_, JoinPath(path_, snake_key), field.path);
    camel_it = snake_it;
  }
  if (camel_it != object_.end() && !camel_it->is_null()) field.value = &*camel_it;
  return field;
}

absl::Status ObjectReader::CheckNoUnknownKeys() const {
  for (const auto& [key, value] : object_.items()) {
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    if (std::find(ignored_.begin(), ignored_.end(), key) != ignored_.end()) continue;
    std::vector<std::string> camel_names;
    for (const auto& k : known_) {
      if (k.find('_') == std::string::npos) camel_names.push_back(k);
    }
    std::string hint = DidYouMean(key, camel_names);
    if (hint.empty()) hint = " (known keys: " + JoinNames(camel_names) + ")";
    return PathError(JoinPath(path_, key), "unknown key '" + key + "'" + hint);
  }
  return absl::OkStatus();
}

void AliasPaths(SourceMap* source_map, const std::string& from, const std::string& to) {
  if (source_map == nullptr) return;
  std::vector<std::pair<std::string, int>> copies;
  for (auto it = source_map->lower_bound(from); it != source_map->end(); ++it) {
    const std::string& path = it->first;
    if (path.compare(0, from.size(), from) != 0) break;
    if (path.size() > from.size() && path[from.size()] != '.' && path[from.size()] != '[') continue;
    copies.emplace_back(to + path.substr(from.size()), it->second);
  }
  for (auto& [path, line] : copies) source_map->emplace(std::move(path), line);
}

absl::Status ExpectObject(const Json& value, const std::string& path) {
  if (!value.is_object()) return PathError(path, "expected a mapping");
  return absl::OkStatus();
}

absl::Status ReadString(const Field& field, std::string* out) {
  if (!field) return absl::OkStatus();
  if (!field.value->is_string()) return PathError(field.path, "expected a string");
  *out = field.value->get<std::string>();
  return absl::OkStatus();
}

absl::Status ReadStringList(const Field& field, google::protobuf::RepeatedPtrField<std::string>* out) {
  if (!field) return absl::OkStatus();
  if (!field.value->is_array()) return PathError(field.path, "expected a list of strings");
  for (size_t i = 0; i < field.value->size(); ++i) {
    const Json& item = (*field.value)[i];
    if (!item.is_string()) return PathError(field.path + "[" + std::to_string(i) + "]", "expected a string");
    out->Add(item.get<std::string>());
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> ReadBool(const Json& value, const std::string& path) {
  if (!value.is_boolean()) return PathError(path, "expected true or false");
  return value.get<bool>();
}

absl::StatusOr<double> ReadNumber(const Json& value, const std::string& path) {
  if (!value.is_number()) return PathError(path, "expected a number");
  return value.get<double>();
}

absl::StatusOr<int64_t> ReadInteger(const Json& value, const std::string& path, int64_t min, int64_t max) {
  if (!value.is_number()) return PathError(path, "expected an integer");
  std::string range = "must be between " + std::to_string(min) + " and " + std::to_string(max);
  if (value.is_number_unsigned()) {
    uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(max) || (min > 0 && u < static_cast<uint64_t>(min))) {
      return PathError(path, range + " (got " + std::to_string(u) + ")");
    }
    return static_cast<int64_t>(u);
  }
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (!std::isfinite(d) || d != std::floor(d)) return PathError(path, "expected an integer");
    if (d < static_cast<double>(min) || d > static_cast<double>(max) || d >= 9223372036854775808.0) {
      return PathError(path, range + " (got " + value.dump() + ")");
    }
    return static_cast<int64_t>(d);
  }
  int64_t n = value.get<int64_t>();
  if (n < min || n > max) return PathError(path, range + " (got " + std::to_string(n) + ")");
  return n;
}

}  // namespace switchboard::config::decode
