#include "tests/integration/harness/test_ca.h"

#include <arpa/inet.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace switchboard::testing {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free_all(bio); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using CertPtr = std::unique_ptr<X509, CertFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

[[noreturn]] void Fail(const std::string& what) {
  char detail[256] = "";
  ERR_error_string_n(ERR_get_error(), detail, sizeof(detail));
  throw std::runtime_error("TestCa: " + what + ": " + detail);
}

void Check(bool ok, const char* what) {
  if (!ok) Fail(what);
}

KeyPtr NewKey() {
  // P-256 keys are generated in microseconds; RSA would cost each test run seconds.
  KeyPtr key(EVP_EC_gen("P-256"));
  Check(key != nullptr, "EVP_EC_gen");
  return key;
}

bool IsIpLiteral(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  Check(ext != nullptr, "X509V3_EXT_conf_nid");
  int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  Check(added == 1, "X509_add_ext");
}

// Backdated by an hour so that a notBefore on the current second never races
// the first handshake; a day is longer than any test run.
CertPtr NewCert(EVP_PKEY* key, const std::string& common_name, long serial) {
  CertPtr cert(X509_new());
  Check(cert != nullptr, "X509_new");
  Check(X509_set_version(cert.get(), X509_VERSION_3) == 1, "X509_set_version");
  Check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial) == 1, "serial");
  Check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr, "notBefore");
  Check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600) != nullptr, "notAfter");
  Check(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  Check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) == 1,
        "subject CN");
  return cert;
}

void WriteCert(X509* cert, const std::string& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "w"));
  Check(bio != nullptr, "BIO_new_file");
  Check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
}

void WriteKey(EVP_PKEY* key, const std::string& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "w"));
  Check(bio != nullptr, "BIO_new_file");
  Check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
}

}  // namespace

struct TestCa::Impl {
  KeyPtr key;
  CertPtr cert;
  long next_serial = 2;
};

TestCa::TestCa() : impl_(std::make_unique<Impl>()) {
  impl_->key = NewKey();
  impl_->cert = NewCert(impl_->key.get(), "Switchboard Test CA", 1);
  X509* cert = impl_->cert.get();
  Check(X509_set_issuer_name(cert, X509_get_subject_name(cert)) == 1, "issuer");
  AddExtension(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(cert, cert, NID_subject_key_identifier, "hash");
  Check(X509_sign(cert, impl_->key.get(), EVP_sha256()) > 0, "X509_sign (CA)");
  ca_file_ = dir_.path() + "/ca.pem";
  WriteCert(cert, ca_file_);
}

TestCa::~TestCa() = default;

CertFiles TestCa::IssueLeaf(const std::string& stem, const std::vector<std::string>& names, bool expired) {
  if (names.empty()) throw std::runtime_error("TestCa::IssueLeaf needs at least one name");
  KeyPtr key = NewKey();
  CertPtr cert = NewCert(key.get(), names.front(), impl_->next_serial++);
  if (expired) {
    Check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3 * 24 * 3600) != nullptr, "notBefore");
    Check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), -24 * 3600) != nullptr, "notAfter");
  }
  X509* ca = impl_->cert.get();
  Check(X509_set_issuer_name(cert.get(), X509_get_subject_name(ca)) == 1, "issuer");
  std::string san;
  for (const auto& name : names) {
    if (!san.empty()) san += ',';
    san += (IsIpLiteral(name) ? "IP:" : "DNS:") + name;
  }
  AddExtension(cert.get(), ca, NID_subject_alt_name, san);
  AddExtension(cert.get(), ca, NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(cert.get(), ca, NID_key_usage, "critical,digitalSignature,keyEncipherment");
  AddExtension(cert.get(), ca, NID_ext_key_usage, "serverAuth");
  AddExtension(cert.get(), ca, NID_subject_key_identifier, "hash");
  AddExtension(cert.get(), ca, NID_authority_key_identifier, "keyid:always");
  Check(X509_sign(cert.get(), impl_->key.get(), EVP_sha256()) > 0, "X509_sign (leaf)");

  CertFiles files{dir_.path() + "/" + stem + ".pem", dir_.path() + "/" + stem + "-key.pem"};
  WriteCert(cert.get(), files.cert);
  WriteKey(key.get(), files.key);
  return files;
}

}  // namespace switchboard::testing
