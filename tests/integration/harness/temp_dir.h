#pragma once
// A private temporary directory, removed with everything in it on destruction.

#include <string>
#include <string_view>

namespace switchboard::testing {

class TempDir {
 public:
  TempDir();  // throws std::runtime_error when the directory cannot be made
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

  // Writes `contents` to `name` inside the directory; returns the full path.
  // Throws std::runtime_error on failure.
  std::string WriteFile(std::string_view name, std::string_view contents) const;

 private:
  std::string path_;
};

}  // namespace switchboard::testing
