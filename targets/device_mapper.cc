#include "targets/device_mapper.h"

#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/fd.h"
#include "util/format.h"

namespace kdk::targets {

namespace {

// A dm_ioctl header followed by `data_bytes` of payload, 8-byte aligned.
struct DmBuffer {
  std::vector<uint64_t> words;
  explicit DmBuffer(size_t data_bytes) : words((sizeof(dm_ioctl) + data_bytes + 7) / 8, 0) {
    dm_ioctl* h = header();
    h->version[0] = 4;  // DM_VERSION_MAJOR; minor 0 asks for nothing newer
    h->data_size = static_cast<uint32_t>(words.size() * 8);
    h->data_start = sizeof(dm_ioctl);
  }
  dm_ioctl* header() { return reinterpret_cast<dm_ioctl*>(words.data()); }
  uint8_t* bytes() { return reinterpret_cast<uint8_t*>(words.data()); }
  size_t size() const { return words.size() * 8; }
  void set_name(const std::string& name) { std::strncpy(header()->name, name.c_str(), DM_NAME_LEN - 1); }
};

Status dm_ioctl_call(int fd, unsigned long request, DmBuffer& b, const char* what, const std::string& name) {
  if (::ioctl(fd, request, b.header()) != 0) {
    return Error::from_errno(errno, format("device-mapper %s %s", what, name.c_str()));
  }
  return {};
}

Result<UniqueFd> open_control(const std::string& control) {
  auto fd = open_fd(control, O_RDWR | O_CLOEXEC);
  if (!fd) return fd.error().within("device-mapper control (is dm_mod loaded?)");
  return fd;
}

}  // namespace

Result<DmMapping> dm_describe(unsigned major, unsigned minor, const std::string& control) {
  auto fd = open_control(control);
  if (!fd) return fd.error();
  const std::string what = format("%u:%u", major, minor);
  for (size_t size = 16 << 10; size <= (16 << 20); size *= 4) {
    DmBuffer b(size);
    b.header()->dev = makedev(major, minor);
    b.header()->flags = DM_STATUS_TABLE_FLAG;
    if (auto s = dm_ioctl_call(fd->get(), DM_TABLE_STATUS, b, "table of", what); !s) return s.error();
    dm_ioctl* h = b.header();
    if (h->flags & DM_BUFFER_FULL_FLAG) continue;
    if (h->data_start > h->data_size || h->data_size > b.size()) {
      return Error{"device-mapper table of " + what + ": inconsistent reply sizes"};
    }
    DmMapping m;
    m.name.assign(h->name, strnlen(h->name, DM_NAME_LEN));
    m.uuid.assign(h->uuid, strnlen(h->uuid, DM_UUID_LEN));
    m.major = major;
    m.minor = minor;
    auto table = decode_dm_targets(
        std::span<const uint8_t>(b.bytes() + h->data_start, h->data_size - h->data_start), h->target_count);
    if (!table) return table.error().within("table of " + m.name);
    if (table->empty()) return Error{"device-mapper device " + m.name + " has no live table"};
    m.table = std::move(*table);
    return m;
  }
  return Error{"device-mapper table of " + what + " does not fit in 16 MiB"};
}

Result<DmMapping> dm_create(const DmMapping& mapping, const std::string& control) {
  auto fd = open_control(control);
  if (!fd) return fd.error();
  if (mapping.name.empty() || mapping.name.size() >= DM_NAME_LEN || mapping.uuid.size() >= DM_UUID_LEN) {
    return Error{"device-mapper name or UUID too long: " + mapping.name};
  }
  DmBuffer create(0);
  create.set_name(mapping.name);
  std::strncpy(create.header()->uuid, mapping.uuid.c_str(), DM_UUID_LEN - 1);
  if (auto s = dm_ioctl_call(fd->get(), DM_DEV_CREATE, create, "create", mapping.name); !s) return s.error();
  DmMapping out = mapping;
  out.major = major(create.header()->dev);
  out.minor = minor(create.header()->dev);

  auto undo = [&](const Error& e) -> Result<DmMapping> {
    DmBuffer remove(0);
    remove.set_name(mapping.name);
    (void)::ioctl(fd->get(), DM_DEV_REMOVE, remove.header());
    return e;
  };
  std::vector<uint8_t> specs = encode_dm_targets(mapping.table);
  DmBuffer load(specs.size());
  load.set_name(mapping.name);
  load.header()->target_count = static_cast<uint32_t>(mapping.table.size());
  std::memcpy(load.bytes() + sizeof(dm_ioctl), specs.data(), specs.size());
  if (auto s = dm_ioctl_call(fd->get(), DM_TABLE_LOAD, load, "load table of", mapping.name); !s) {
    return undo(s.error());
  }
  DmBuffer resume(0);
  resume.set_name(mapping.name);  // no DM_SUSPEND_FLAG: resume, making the loaded table live
  if (auto s = dm_ioctl_call(fd->get(), DM_DEV_SUSPEND, resume, "resume", mapping.name); !s)
    return undo(s.error());
  return out;
}

}  // namespace kdk::targets
