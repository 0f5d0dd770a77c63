// Incremental SHA-256 (OpenSSL's EVP underneath), for the digests that
// metadata.json records of every file a capture writes.
#pragma once

#include <cstddef>
#include <string>

namespace kdk {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, size_t size);
  // Lower-case hex; the object can't be updated afterwards.
  std::string hex_digest();

 private:
  void* ctx_;  // EVP_MD_CTX
};

std::string sha256_hex(const void* data, size_t size);

}  // namespace kdk
