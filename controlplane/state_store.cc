#include "controlplane/state_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "switchboard/controlplane/v1/state.pb.h"

namespace switchboard::controlplane {
namespace {

using google::protobuf::util::TimeUtil;

constexpr std::string_view kMagic = "switchboard-state v1";
constexpr std::string_view kSuffix = ".json";
constexpr std::string_view kCorruptSuffix = ".corrupt";
constexpr std::string_view kTempSuffix = ".tmp";

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xF]);
  }
  return out;
}

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// "v00000000000000000042.json" (and ".json.corrupt") -> 42; 0 when the name
// is not a version file.
uint64_t VersionOfName(std::string_view name) {
  if (name.size() < 2 || name[0] != 'v') return 0;
  size_t digits_end = name.find('.');
  if (digits_end == std::string_view::npos || digits_end == 1) return 0;
  std::string_view rest = name.substr(digits_end);
  if (rest != kSuffix && rest != std::string(kSuffix) + std::string(kCorruptSuffix)) return 0;
  uint64_t value = 0;
  for (char c : name.substr(1, digits_end - 1)) {
    if (c < '0' || c > '9') return 0;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

absl::StatusOr<ConfigVersion> ParseFile(const std::string& text, uint64_t expected_version) {
  size_t newline = text.find('\n');
  if (newline == std::string::npos) return absl::DataLossError("no header line (half-written?)");
  std::istringstream header(text.substr(0, newline));
  std::string magic1, magic2, length_field, sha_field;
  header >> magic1 >> magic2 >> length_field >> sha_field;
  if (magic1 + " " + magic2 != kMagic || length_field.rfind("length=", 0) != 0 || sha_field.rfind("sha256=", 0) != 0) {
    return absl::DataLossError("not a switchboard state file (bad header)");
  }
  std::string body = text.substr(newline + 1);
  std::string length = length_field.substr(7);
  if (std::to_string(body.size()) != length) {
    return absl::DataLossError("body is " + std::to_string(body.size()) + " bytes, header says " + length +
                               " (truncated or half-written)");
  }
  if (Sha256Hex(body) != sha_field.substr(7)) return absl::DataLossError("checksum mismatch");
  controlplane::v1::StoredVersion stored;
  auto parsed = google::protobuf::util::JsonStringToMessage(body, &stored);
  if (!parsed.ok()) return absl::DataLossError("body is not a stored version: " + std::string(parsed.message()));
  if (stored.info().version() != expected_version) {
    return absl::DataLossError("holds version " + std::to_string(stored.info().version()) + ", not " +
                               std::to_string(expected_version));
  }
  ConfigVersion version;
  version.version = stored.info().version();
  version.time = std::chrono::system_clock::from_time_t(0) +
                 std::chrono::microseconds(TimeUtil::TimestampToMicroseconds(stored.info().create_time()));
  version.author = stored.info().author();
  version.summary = stored.info().summary();
  version.config = std::make_shared<const config::v1::Config>(std::move(*stored.mutable_config()));
  return version;
}

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::UnavailableError(Errno("cannot write", path));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return absl::UnavailableError(Errno("cannot open", dir));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return absl::UnavailableError(Errno("cannot fsync", dir));
  return absl::OkStatus();
}

absl::Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::UnavailableError(path + " exists and is not a directory");
  }
  return absl::UnavailableError(Errno("cannot create directory", path));
}

}  // namespace

StateStore::StateStore(std::string dir) : dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

std::string StateStore::VersionsDir() const { return dir_ + "/versions"; }

std::string StateStore::FileName(uint64_t version) const {
  char name[40];
  std::snprintf(name, sizeof(name), "v%020llu", static_cast<unsigned long long>(version));
  return VersionsDir() + "/" + name + std::string(kSuffix);
}

absl::Status StateStore::Open() {
  if (absl::Status s = MakeDir(dir_); !s.ok()) return s;
  return MakeDir(VersionsDir());
}

absl::StatusOr<StateStore::Loaded> StateStore::Load() const {
  Loaded loaded;
  DIR* dir = ::opendir(VersionsDir().c_str());
  if (dir == nullptr) return absl::UnavailableError(Errno("cannot read", VersionsDir()));
  std::vector<std::string> names;
  while (struct dirent* entry = ::readdir(dir)) names.emplace_back(entry->d_name);
  ::closedir(dir);
  std::sort(names.begin(), names.end());

  for (const std::string& name : names) {
    std::string path = VersionsDir() + "/" + name;
    if (EndsWith(name, kTempSuffix)) {
      // An interrupted write: the rename never happened, so it was never accepted.
      loaded.problems.push_back(path + ": half-written temporary file removed");
      ::unlink(path.c_str());
      continue;
    }
    uint64_t number = VersionOfName(name);
    if (number == 0) continue;
    loaded.highest_version = std::max(loaded.highest_version, number);
    if (EndsWith(name, kCorruptSuffix)) continue;
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      loaded.problems.push_back(path + ": cannot be read");
      continue;
    }
    auto version = ParseFile(text, number);
    if (!version.ok()) {
      loaded.problems.push_back(path + ": " + std::string(version.status().message()) + "; renamed to " + name +
                                std::string(kCorruptSuffix));
      ::rename(path.c_str(), (path + std::string(kCorruptSuffix)).c_str());
      continue;
    }
    loaded.versions.push_back(*std::move(version));
  }
  return loaded;
}

absl::Status StateStore::Save(const ConfigVersion& version) {
  controlplane::v1::StoredVersion stored;
  auto* info = stored.mutable_info();
  info->set_version(version.version);
  *info->mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::microseconds>(version.time.time_since_epoch()).count());
  info->set_author(version.author);
  info->set_summary(version.summary);
  *stored.mutable_config() = *version.config;
  std::string body;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  auto printed = google::protobuf::util::MessageToJsonString(stored, &body, options);
  if (!printed.ok()) return absl::InternalError("cannot encode version: " + std::string(printed.message()));
  std::string text = std::string(kMagic) + " length=" + std::to_string(body.size()) + " sha256=" + Sha256Hex(body) +
                     "\n" + body;

  std::string final_path = FileName(version.version);
  std::string temp_path = final_path + std::string(kTempSuffix);
  int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::UnavailableError(Errno("cannot create", temp_path));
  absl::Status status = WriteAll(fd, text, temp_path);
  if (status.ok() && ::fsync(fd) != 0) status = absl::UnavailableError(Errno("cannot fsync", temp_path));
  ::close(fd);
  if (status.ok() && ::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    status = absl::UnavailableError(Errno("cannot rename to", final_path));
  }
  if (!status.ok()) {
    ::unlink(temp_path.c_str());
    return status;
  }
  return SyncDirectory(VersionsDir());
}

void StateStore::Prune(uint64_t oldest_kept) {
  DIR* dir = ::opendir(VersionsDir().c_str());
  if (dir == nullptr) return;
  std::vector<std::string> doomed;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    uint64_t number = VersionOfName(name);
    if (number != 0 && number < oldest_kept && EndsWith(name, kSuffix)) doomed.push_back(name);
  }
  ::closedir(dir);
  for (const auto& name : doomed) ::unlink((VersionsDir() + "/" + name).c_str());
}

}  // namespace switchboard::controlplane
