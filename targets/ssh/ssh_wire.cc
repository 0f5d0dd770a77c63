#include "targets/ssh/ssh_wire.h"

#include <openssl/evp.h>

#include "util/text.h"

namespace kdk::targets::ssh {

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

void put_string(std::string& out, std::string_view bytes) {
  put_u32(out, static_cast<uint32_t>(bytes.size()));
  out.append(bytes);
}

void put_mpint(std::string& out, std::string_view magnitude) {
  while (!magnitude.empty() && magnitude.front() == '\0') magnitude.remove_prefix(1);
  if (!magnitude.empty() && (static_cast<uint8_t>(magnitude.front()) & 0x80)) {
    put_u32(out, static_cast<uint32_t>(magnitude.size() + 1));
    out += '\0';
    out.append(magnitude);
    return;
  }
  put_string(out, magnitude);
}

bool WireReader::get_bytes(size_t n, std::string_view& s) {
  if (n > remaining()) return false;
  s = data_.substr(at_, n);
  at_ += n;
  return true;
}

bool WireReader::get_u32(uint32_t& v) {
  std::string_view b;
  if (!get_bytes(4, b)) return false;
  v = 0;
  for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
  return true;
}

bool WireReader::get_string(std::string_view& s) {
  uint32_t n = 0;
  return get_u32(n) && get_bytes(n, s);
}

bool WireReader::get_mpint(std::string_view& magnitude) {
  if (!get_string(magnitude)) return false;
  if (!magnitude.empty() && (static_cast<uint8_t>(magnitude.front()) & 0x80)) return false;
  while (!magnitude.empty() && magnitude.front() == '\0') magnitude.remove_prefix(1);
  return true;
}

std::string blob_key_type(std::string_view blob) {
  WireReader r(blob);
  std::string_view type;
  return r.get_string(type) ? std::string(type) : std::string();
}

std::string fingerprint_sha256(std::string_view blob) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(blob.data(), blob.size(), md, &len, EVP_sha256(), nullptr);
  return "SHA256:" + base64_encode(std::string_view(reinterpret_cast<const char*>(md), len), false);
}

}  // namespace kdk::targets::ssh
