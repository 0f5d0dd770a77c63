#include "loader/initramfs_stamp.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <map>

#include "config/key_value.h"
#include "util/fd.h"
#include "util/sha256.h"

namespace kdk::loader {

Result<std::string> sha256_file(const std::string& path) {
  auto fd = open_fd(path, O_RDONLY);
  if (!fd) return fd.error();
  Sha256 hash;
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t n = ::read(fd->get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, "read " + path);
    }
    if (n == 0) break;
    hash.update(buf.data(), static_cast<size_t>(n));
  }
  return hash.hex_digest();
}

Result<std::string> make_stamp(const StampInputs& in) {
  auto binary = sha256_file(in.binary_path);
  if (!binary) return binary.error();
  // The module set: each path and its bytes, in load order; the same for
  // the carried files (a renewed certificate or token must reach the image).
  auto list_digest = [](const std::vector<std::string>& paths) -> Result<std::string> {
    std::string text;
    for (const auto& p : paths) {
      auto d = sha256_file(p);
      if (!d) return d.error();
      text += p + " " + *d + "\n";
    }
    return text;
  };
  auto modules = list_digest(in.module_paths);
  if (!modules) return modules.error();
  auto files = list_digest(in.carried_files);
  if (!files) return files.error();
  std::string out;
  out += "kernel_release = " + sha256_hex(in.kernel_release.data(), in.kernel_release.size()) + "\n";
  out += "config = " + sha256_hex(in.config_text.data(), in.config_text.size()) + "\n";
  out += "binary = " + *binary + "\n";
  out += "modules = " + sha256_hex(modules->data(), modules->size()) + "\n";
  if (!in.carried_files.empty()) out += "files = " + sha256_hex(files->data(), files->size()) + "\n";
  out += "load_record = " + sha256_hex(in.load_record.data(), in.load_record.size()) + "\n";
  if (!in.compression.empty()) out += "compression = " + in.compression + "\n";
  return out;
}

std::vector<std::string> stamp_changes(const std::string& old_stamp, const std::string& new_stamp) {
  auto old_kv = config::parse_key_values(old_stamp, "stamp");
  auto new_kv = config::parse_key_values(new_stamp, "stamp");
  if (!old_kv || !new_kv || old_kv->empty()) return {"no stamp"};
  std::map<std::string, std::string> before;
  for (const auto& kv : *old_kv) before[kv.key] = kv.value;
  std::vector<std::string> changed;
  for (const auto& kv : *new_kv) {
    auto it = before.find(kv.key);
    if (it == before.end() || it->second != kv.value) changed.push_back(kv.key);
  }
  return changed;
}

}  // namespace kdk::loader
