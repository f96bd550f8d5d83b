#pragma once
// A throwaway certificate authority for TLS tests: a self-signed CA and leaf
// certificates it signs, written as PEM files into a private temp dir that
// lives as long as the TestCa. Not thread-safe; build certificates before
// starting the servers that use them.

#include <memory>
#include <string>
#include <vector>

#include "tests/integration/harness/temp_dir.h"

namespace switchboard::testing {

struct CertFiles {
  std::string cert;  // PEM certificate path
  std::string key;   // PEM private key path (unencrypted)
};

class TestCa {
 public:
  TestCa();  // throws std::runtime_error when OpenSSL fails
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  // The CA certificate, for SSL_CERT_FILE or a client's trust store.
  const std::string& ca_file() const { return ca_file_; }

  // A server certificate signed by this CA. Each name becomes a subjectAltName:
  // an IPv4/IPv6 literal an IP entry, anything else a DNS entry. `stem` names
  // the files (`<stem>.pem`, `<stem>-key.pem`). With `expired`, the
  // certificate's validity ended yesterday. Throws on failure.
  CertFiles IssueLeaf(const std::string& stem, const std::vector<std::string>& names, bool expired = false);

 private:
  struct Impl;
  TempDir dir_;
  std::unique_ptr<Impl> impl_;
  std::string ca_file_;
};

}  // namespace switchboard::testing
