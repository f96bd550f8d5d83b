#pragma once
// The control plane's state directory: every accepted config version, one file
// each, so that a restart keeps every live change.
//
//   <dir>/versions/v00000000000000000042.json
//
// A file is a header line and a JSON body (a StoredVersion message in proto3
// JSON form, readable and diffable by hand):
//
//   switchboard-state v1 length=<bytes of body> sha256=<hex of body>
//   { "info": { "version": "42", ... }, "config": { ... } }
//
// Files are written atomically: to a temporary file, fsync, rename over the
// final name, fsync the directory. A crash leaves either the old state or the
// new one; a leftover temporary file is removed at the next start. A file
// whose header, length, checksum, JSON or version number does not hold up is
// reported, renamed to *.corrupt (kept for inspection) and skipped, so the
// newest good version wins; version numbers never go back (the next version
// is above every number ever written, corrupt ones included).
//
// The files hold keys: the directory is created 0700 and files 0600.
//
// Thread-safety: none; the ConfigManager serializes all calls.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controlplane/version.h"

namespace switchboard::controlplane {

class StateStore {
 public:
  explicit StateStore(std::string dir);

  // Creates the directory tree when missing. Errors: UNAVAILABLE naming the path.
  absl::Status Open();

  struct Loaded {
    std::vector<ConfigVersion> versions;  // the good ones, oldest first
    uint64_t highest_version = 0;         // highest number seen, corrupt files included
    std::vector<std::string> problems;    // one line per file skipped, with why
  };
  absl::StatusOr<Loaded> Load() const;

  // Writes one version atomically.
  absl::Status Save(const ConfigVersion& version);

  // Removes the files of versions below `oldest_kept`.
  void Prune(uint64_t oldest_kept);

  const std::string& dir() const { return dir_; }

 private:
  std::string VersionsDir() const;
  std::string FileName(uint64_t version) const;

  std::string dir_;
};

}  // namespace switchboard::controlplane
