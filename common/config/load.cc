#include "common/config/load.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>

#include "common/config/decode.h"
#include "common/config/providers_json.h"
#include "common/config/validate.h"
#include "common/config/yaml_tree.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace switchboard::config {
namespace {

constexpr size_t kMaxConfigBytes = 16 << 20;

// Line of `path`, or of its longest prefix that ends at a '.' or '[' boundary.
std::optional<int> LookupLine(const SourceMap& source_map, std::string_view path) {
  while (!path.empty()) {
    auto it = source_map.find(path);
    if (it != source_map.end()) return it->second;
    size_t cut = path.find_last_of(".[");
    if (cut == std::string_view::npos) break;
    path = path.substr(0, cut);
  }
  return std::nullopt;
}

// `path` with its longest aliased prefix (at a '.' or '[' boundary) replaced by
// the file's spelling; `path` itself when nothing is aliased.
std::string Unalias(const PathAliases& aliases, std::string_view path) {
  std::string_view prefix = path;
  while (!prefix.empty()) {
    auto it = aliases.find(prefix);
    if (it != aliases.end()) return it->second + std::string(path.substr(prefix.size()));
    size_t cut = prefix.find_last_of(".[");
    if (cut == std::string_view::npos) break;
    prefix = prefix.substr(0, cut);
  }
  return std::string(path);
}

absl::StatusOr<LoadedConfig> Parse(std::string_view text, std::string_view source_name) {
  LoadedConfig loaded;
  loaded.source_name = std::string(source_name);
  ASSIGN_OR_RETURN(YamlTree tree, YamlToTree(text, source_name));
  loaded.source_map = std::move(tree.source_map);
  absl::Status status;
  if (IsProvidersJson(tree.root)) {
    loaded.form = "providers.json";
    status = DecodeProvidersJson(tree.root, &loaded.config, &loaded.source_map, &loaded.path_aliases);
  } else {
    status = DecodeConfig(tree.root, &loaded.config, &loaded.source_map);
  }
  if (status.ok()) status = ValidateConfig(loaded.config);
  if (!status.ok()) return AnnotateWithSource(status, loaded);
  return loaded;
}

}  // namespace

absl::StatusOr<LoadedConfig> ParseConfigText(std::string_view text, std::string_view source_name) {
  // yaml-cpp reports errors by throwing; YamlToTree catches those, and this is
  // the last line of defence for anything else (std::bad_alloc, ...).
  try {
    return Parse(text, source_name);
  } catch (const std::exception& e) {
    return absl::InternalError(std::string(source_name) + ": loading the config failed: " + e.what());
  }
}

absl::StatusOr<LoadedConfig> LoadConfigFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  return ParseConfigText(text, path);
}

absl::StatusOr<std::string> ReadConfigFile(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    int error = errno;
    return absl::Status(absl::ErrnoToStatusCode(error),
                        "cannot read config file '" + path + "': " + std::strerror(error));
  }
  std::string text;
  char buffer[65536];
  int error = 0;
  errno = 0;
  while (true) {
    size_t n = std::fread(buffer, 1, sizeof buffer, file);
    text.append(buffer, n);
    if (n < sizeof buffer) {
      if (std::ferror(file)) error = errno != 0 ? errno : EIO;
      break;
    }
    if (text.size() > kMaxConfigBytes) {
      std::fclose(file);
      return absl::InvalidArgumentError("config file '" + path + "' is larger than 16 MiB");
    }
  }
  std::fclose(file);
  if (error != 0) {
    return absl::Status(absl::ErrnoToStatusCode(error),
                        "cannot read config file '" + path + "': " + std::strerror(error));
  }
  return text;
}

absl::Status AnnotateWithSource(const absl::Status& status, const LoadedConfig& loaded) {
  if (status.ok() || loaded.source_name.empty()) return status;
  const std::string message(status.message());                         // Debian's absl::string_view is not std's
  if (message.rfind(loaded.source_name + ":", 0) == 0) return status;  // annotated already
  std::string annotated = loaded.source_name;
  std::string body = message;
  size_t path_end = message.find(": ");
  if (path_end != std::string_view::npos) {
    std::string path = Unalias(loaded.path_aliases, std::string_view(message).substr(0, path_end));
    if (auto line = LookupLine(loaded.source_map, path)) {
      absl::StrAppend(&annotated, ":", *line);
    }
    body = path + message.substr(path_end);
  }
  annotated += ": ";
  annotated += body;
  return absl::Status(status.code(), annotated);
}

}  // namespace switchboard::config
