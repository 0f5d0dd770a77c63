#include "targets/ssh/ssh_key.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <cstring>
#include <vector>

#include "targets/secret_file.h"
#include "targets/ssh/ssh_wire.h"
#include "util/format.h"
#include "util/text.h"

namespace kdk::targets::ssh {
namespace {

constexpr std::string_view kOpensshBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
constexpr std::string_view kOpensshEnd = "-----END OPENSSH PRIVATE KEY-----";
constexpr std::string_view kMagic{"openssh-key-v1\0", 15};

struct Curve {
  const char* ssh;       // "nistp256"
  const char* ossl;      // "P-256"
  const char* ossl_alt;  // "prime256v1"
  const EVP_MD* (*md)();
};
const Curve kCurves[] = {{"nistp256", "P-256", "prime256v1", EVP_sha256},
                         {"nistp384", "P-384", "secp384r1", EVP_sha384},
                         {"nistp521", "P-521", "secp521r1", EVP_sha512}};

const Curve* curve_by_ssh(std::string_view name) {
  for (const auto& c : kCurves)
    if (name == c.ssh) return &c;
  return nullptr;
}

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (!e) return "OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnDeleter>;

Bn bn(std::string_view magnitude) {
  return Bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(magnitude.data()),
                      static_cast<int>(magnitude.size()), nullptr));
}

std::string bn_bytes(const BIGNUM* b) {
  std::string out(static_cast<size_t>(BN_num_bytes(b)), '\0');
  BN_bn2bin(b, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

// A key from OSSL_PARAMs (EC or RSA).
Result<Pkey> from_params(const char* algorithm, OSSL_PARAM_BLD* bld, const std::string& source) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr);
  EVP_PKEY* pkey = nullptr;
  bool ok = params && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
            EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  if (!ok) return Error{source + ": the " + algorithm + " key is not usable: " + openssl_error()};
  return Pkey(pkey);
}

struct Parsed {
  std::string type;
  std::string blob;
  Pkey pkey;
};

// OpenSSH's own format (PROTOCOL.key), without encryption.
Result<Parsed> parse_openssh(std::string_view text, const std::string& source) {
  size_t begin = text.find(kOpensshBegin);
  size_t end = text.find(kOpensshEnd);
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin)
    return Error{source + ": not an OpenSSH private key"};
  std::string b64;
  for (char c : text.substr(begin + kOpensshBegin.size(), end - begin - kOpensshBegin.size()))
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') b64 += c;
  std::string raw;
  if (!base64_decode(b64, raw) || raw.compare(0, kMagic.size(), kMagic) != 0)
    return Error{source + ": damaged OpenSSH private key (bad base64 or magic)"};
  WireReader r(std::string_view(raw).substr(kMagic.size()));
  std::string_view cipher, kdf, kdf_options, pub, priv;
  uint32_t count = 0;
  if (!r.get_string(cipher) || !r.get_string(kdf) || !r.get_string(kdf_options) || !r.get_u32(count))
    return Error{source + ": damaged OpenSSH private key (header)"};
  if (cipher != "none" || kdf != "none")
    return Error{source +
                 ": the key has a passphrase; the capture kernel has nobody to type it: use a key without "
                 "one (ssh-keygen -N '')"};
  if (count != 1) return Error{format("%s: %u keys in one file; kdumpkit takes one", source.c_str(), count)};
  if (!r.get_string(pub) || !r.get_string(priv))
    return Error{source + ": damaged OpenSSH private key (sections)"};
  WireReader p(priv);
  uint32_t check1 = 0, check2 = 0;
  std::string_view type;
  if (!p.get_u32(check1) || !p.get_u32(check2) || check1 != check2 || !p.get_string(type))
    return Error{source + ": damaged OpenSSH private key (check bytes)"};

  Parsed out;
  out.type = std::string(type);
  out.blob = std::string(pub);
  if (blob_key_type(out.blob) != out.type)
    return Error{source + ": the public and private parts differ in type"};
  auto damaged = [&] { return Error{source + ": damaged " + out.type + " private key"}; };
  if (type == "ssh-ed25519") {
    std::string_view pk, sk;
    if (!p.get_string(pk) || !p.get_string(sk) || pk.size() != 32 || sk.size() != 64) return damaged();
    EVP_PKEY* k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                               reinterpret_cast<const unsigned char*>(sk.data()), 32);
    if (!k) return Error{source + ": Ed25519 key not usable: " + openssl_error()};
    out.pkey.reset(k);
    return out;
  }
  if (type.rfind("ecdsa-sha2-", 0) == 0) {
    std::string_view curve_name, q, d;
    if (!p.get_string(curve_name) || !p.get_string(q) || !p.get_mpint(d)) return damaged();
    const Curve* curve = curve_by_ssh(curve_name);
    if (!curve || type.substr(11) != curve_name)
      return Error{source + ": unsupported ECDSA curve " + std::string(curve_name)};
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    Bn priv_bn = bn(d);
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve->ossl, 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q.data(), q.size());
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv_bn.get());
    auto k = from_params("EC", bld, source);
    OSSL_PARAM_BLD_free(bld);
    if (!k) return k.error();
    out.pkey = std::move(*k);
    return out;
  }
  if (type == "ssh-rsa") {
    std::string_view n, e, d, iqmp, pp, qq;
    if (!p.get_mpint(n) || !p.get_mpint(e) || !p.get_mpint(d) || !p.get_mpint(iqmp) || !p.get_mpint(pp) ||
        !p.get_mpint(qq))
      return damaged();
    if (n.size() * 8 < 2048)
      return Error{format("%s: RSA key of %zu bits; at least 2048 are needed", source.c_str(), n.size() * 8)};
    Bn bn_n = bn(n), bn_e = bn(e), bn_d = bn(d);
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n.get());
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e.get());
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, bn_d.get());
    auto k = from_params("RSA", bld, source);
    OSSL_PARAM_BLD_free(bld);
    if (!k) return k.error();
    out.pkey = std::move(*k);
    return out;
  }
  return Error{source + ": key type " + out.type + " is not supported (Ed25519, ECDSA or RSA)"};
}

// PEM (traditional or PKCS#8) through OpenSSL; the public blob is made here.
Result<Parsed> parse_pem(std::string_view text, const std::string& source) {
  if (text.find("ENCRYPTED") != std::string_view::npos)
    return Error{
        source +
        ": the key has a passphrase; the capture kernel has nobody to type it: use a key without one"};
  BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
  // An empty passphrase callback: an encrypted key fails instead of prompting.
  EVP_PKEY* k = PEM_read_bio_PrivateKey(
      bio, nullptr, [](char*, int, int, void*) { return 0; }, nullptr);
  BIO_free(bio);
  if (!k) return Error{source + ": not a private key OpenSSH or OpenSSL can read (" + openssl_error() + ")"};
  Parsed out;
  out.pkey.reset(k);
  switch (EVP_PKEY_get_base_id(k)) {
    case EVP_PKEY_ED25519: {
      unsigned char pk[32];
      size_t len = sizeof pk;
      if (EVP_PKEY_get_raw_public_key(k, pk, &len) != 1 || len != 32)
        return Error{source + ": Ed25519 key not usable"};
      out.type = "ssh-ed25519";
      put_string(out.blob, out.type);
      put_string(out.blob, std::string_view(reinterpret_cast<char*>(pk), len));
      return out;
    }
    case EVP_PKEY_EC: {
      char group[64] = {};
      size_t glen = 0;
      unsigned char q[256];
      size_t qlen = 0;
      if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) != 1 ||
          EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, q, sizeof q, &qlen) != 1)
        return Error{source + ": ECDSA key not usable: " + openssl_error()};
      const Curve* curve = nullptr;
      for (const auto& c : kCurves)
        if (std::strcmp(group, c.ossl) == 0 || std::strcmp(group, c.ossl_alt) == 0) curve = &c;
      if (!curve)
        return Error{source + ": ECDSA curve " + group + " is not supported (nistp256, nistp384, nistp521)"};
      out.type = std::string("ecdsa-sha2-") + curve->ssh;
      put_string(out.blob, out.type);
      put_string(out.blob, curve->ssh);
      put_string(out.blob, std::string_view(reinterpret_cast<char*>(q), qlen));
      return out;
    }
    case EVP_PKEY_RSA: {
      BIGNUM* n = nullptr;
      BIGNUM* e = nullptr;
      if (EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
          EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
        BN_free(n);
        return Error{source + ": RSA key not usable: " + openssl_error()};
      }
      Bn nn(n), ee(e);
      if (BN_num_bits(n) < 2048)
        return Error{
            format("%s: RSA key of %d bits; at least 2048 are needed", source.c_str(), BN_num_bits(n))};
      out.type = "ssh-rsa";
      put_string(out.blob, out.type);
      put_mpint(out.blob, bn_bytes(e));
      put_mpint(out.blob, bn_bytes(n));
      return out;
    }
    default:
      return Error{source + ": key type not supported (Ed25519, ECDSA or RSA)"};
  }
}

}  // namespace

Result<SshKey> SshKey::load(const std::string& path) {
  auto text = read_secret_file(path, "identity");
  if (!text) return text.error();
  return parse(*text, "identity " + path);
}

Result<SshKey> SshKey::parse(std::string_view text, const std::string& source) {
  auto parsed = text.find(kOpensshBegin) != std::string_view::npos ? parse_openssh(text, source)
                                                                   : parse_pem(text, source);
  if (!parsed) return parsed.error();
  SshKey key;
  key.type_ = std::move(parsed->type);
  key.blob_ = std::move(parsed->blob);
  key.pkey_ = parsed->pkey.release();
  return key;
}

SshKey::SshKey(SshKey&& o) noexcept : type_(std::move(o.type_)), blob_(std::move(o.blob_)), pkey_(o.pkey_) {
  o.pkey_ = nullptr;
}

SshKey& SshKey::operator=(SshKey&& o) noexcept {
  if (this != &o) {
    EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_));
    type_ = std::move(o.type_);
    blob_ = std::move(o.blob_);
    pkey_ = o.pkey_;
    o.pkey_ = nullptr;
  }
  return *this;
}

SshKey::~SshKey() { EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_)); }

std::string SshKey::algorithm() const { return type_ == "ssh-rsa" ? "rsa-sha2-256" : type_; }

std::string SshKey::authorized_keys_line(const std::string& comment) const {
  return type_ + " " + base64_encode(blob_) + (comment.empty() ? "" : " " + comment);
}

std::string SshKey::fingerprint() const { return fingerprint_sha256(blob_); }

Result<std::string> SshKey::sign(std::string_view data) const {
  auto* pkey = static_cast<EVP_PKEY*>(pkey_);
  const EVP_MD* md = nullptr;
  if (type_ == "ssh-rsa") {
    md = EVP_sha256();
  } else if (type_.rfind("ecdsa-sha2-", 0) == 0) {
    md = curve_by_ssh(std::string_view(type_).substr(11))->md();
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, md, nullptr, pkey) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                           data.size()) == 1;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                        reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) return Error{"signing with the " + type_ + " key failed: " + openssl_error()};
  if (type_.rfind("ecdsa-sha2-", 0) != 0) return sig;
  // ECDSA: OpenSSL's DER SEQUENCE { r, s } -> SSH's mpint r, mpint s.
  const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  if (!es) return Error{"ECDSA signature not decodable: " + openssl_error()};
  std::string out;
  put_mpint(out, bn_bytes(ECDSA_SIG_get0_r(es)));
  put_mpint(out, bn_bytes(ECDSA_SIG_get0_s(es)));
  ECDSA_SIG_free(es);
  return out;
}

}  // namespace kdk::targets::ssh
