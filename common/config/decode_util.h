#pragma once
// Helpers shared by decode.cc and decode_processor.cc: field lookup under a
// canonical camelCase name (snake_case accepted), typed reads with path errors.
// Internal to common/config.

#include <google/protobuf/repeated_field.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/config/decode.h"

namespace switchboard::config::decode {

absl::Status PathError(const std::string& path, const std::string& message);

// "modelTargets" -> "model_targets".
std::string SnakeCase(std::string_view camel);

// One value of an object read by its canonical name.
struct Field {
  const Json* value = nullptr;  // null when absent or written as null
  std::string path;             // canonical: "<object path>.<camelName>"
  explicit operator bool() const { return value != nullptr; }
};

// An object being decoded. Remembers the keys it was asked about, so that
// CheckNoUnknownKeys can name (and suggest a fix for) the rest.
class ObjectReader {
 public:
  ObjectReader(const Json& object, std::string path, SourceMap* source_map)
      : object_(object), path_(std::move(path)), source_map_(source_map) {}

  // The value under `camel` or its snake_case spelling (both: an error).
  absl::StatusOr<Field> Get(std::string_view camel);
  // Accepts `camel` (and its snake_case spelling) without reading it.
  void Ignore(std::string_view camel);
  // Fails on the first key not asked about, naming the path of that key.
  absl::Status CheckNoUnknownKeys() const;
  const std::string& path() const { return path_; }

 private:
  const Json& object_;
  std::string path_;
  SourceMap* source_map_;
  std::vector<std::string> known_;
  std::vector<std::string> ignored_;
};

// "a.b" — or "b" when `path` is empty (top-level keys).
std::string JoinPath(const std::string& path, std::string_view key);

// Copies the lines of every path under `from` to the same path under `to`.
void AliasPaths(SourceMap* source_map, const std::string& from, const std::string& to);

absl::Status ExpectObject(const Json& value, const std::string& path);

absl::Status ReadString(const Field& field, std::string* out);
absl::Status ReadStringList(const Field& field, google::protobuf::RepeatedPtrField<std::string>* out);
absl::StatusOr<double> ReadNumber(const Json& value, const std::string& path);
absl::StatusOr<bool> ReadBool(const Json& value, const std::string& path);
absl::StatusOr<int64_t> ReadInteger(const Json& value, const std::string& path, int64_t min, int64_t max);

// One processor (decode_processor.cc); `path` is its canonical path,
// "processorChains.c[0]" or "processorChains.c[0].processorList[1]".
absl::Status DecodeProcessor(const Json& value, const std::string& path, ::switchboard::config::v1::Processor* out,
                             SourceMap* source_map);

}  // namespace switchboard::config::decode
