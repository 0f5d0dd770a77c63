// The SSH wire encoding (RFC 4251 section 5) of key blobs and signatures:
// uint32 big-endian lengths, strings, mpints. A reader is a view over bytes
// that never reads past its end: every get fails instead.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kdk::targets::ssh {

void put_u32(std::string& out, uint32_t v);
void put_string(std::string& out, std::string_view bytes);
// An unsigned big-endian magnitude as an mpint: leading zeros dropped, a zero
// byte added when the top bit is set.
void put_mpint(std::string& out, std::string_view magnitude);

class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}
  bool get_u32(uint32_t& v);
  bool get_string(std::string_view& s);
  // An mpint's magnitude (a positive number; a negative one fails).
  bool get_mpint(std::string_view& magnitude);
  bool get_bytes(size_t n, std::string_view& s);
  size_t remaining() const { return data_.size() - at_; }

 private:
  std::string_view data_;
  size_t at_ = 0;
};

// The key type a public key blob names (its first string), "" when malformed.
std::string blob_key_type(std::string_view blob);

// "SHA256:<base64 without padding>", as ssh-keygen -l prints.
std::string fingerprint_sha256(std::string_view blob);

}  // namespace kdk::targets::ssh
