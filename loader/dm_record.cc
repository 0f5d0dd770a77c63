#include "loader/dm_record.h"

#include <limits.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>

#include "targets/block_devices.h"
#include "targets/device_mapper.h"
#include "targets/lvm_label.h"
#include "util/fd.h"
#include "util/format.h"
#include "util/text.h"

namespace kdk::loader {

namespace {

struct Recorder {
  std::string sysfs_block, dev_dir;
  DmStack stack;
  int depth = 0;

  bool is_dm(const std::string& name) const { return path_exists(sysfs_block + "/" + name + "/dm/name"); }

  // "8:16" -> "sdb" through /sys/dev/block.
  Result<std::string> name_of(const std::string& devno) const {
    char real[PATH_MAX];
    std::string link = sysfs_block + "/../../dev/block/" + devno;
    if (!::realpath(link.c_str(), real)) return Error::from_errno(errno, "no block device " + devno);
    std::string r = real;
    return r.substr(r.find_last_of('/') + 1);
  }

  // The stable identity of a device a table names.
  Result<std::string> identity(const std::string& devno) {
    auto name = name_of(devno);
    if (!name) return name.error();
    if (is_dm(*name)) {
      auto lower = record(*name);
      if (!lower) return lower.error();
      return "dm:" + *lower;
    }
    if (std::find(stack.leaves.begin(), stack.leaves.end(), *name) == stack.leaves.end())
      stack.leaves.push_back(*name);
    auto pv = targets::read_lvm_pv_uuid(dev_dir + "/" + *name);
    if (pv && *pv) return "pv:" + **pv;
    std::string partuuid = targets::partition_uuid_of(*name, sysfs_block, dev_dir);
    if (!partuuid.empty()) return "partuuid:" + partuuid;
    return Error{
        format("%s (%s) carries no LVM label and no PARTUUID: the capture kernel could not find it again",
               name->c_str(), devno.c_str())};
  }

  // Records mapping `name` ("dm-0") after everything under it; returns its dm name.
  Result<std::string> record(const std::string& name) {
    if (++depth > 16) return Error{"device-mapper stack deeper than 16 levels under " + name};
    auto dev = read_file(sysfs_block + "/" + name + "/dev");
    unsigned maj = 0, min = 0;
    if (!dev || std::sscanf(dev->c_str(), "%u:%u", &maj, &min) != 2)
      return Error{"no device number for " + name};
    auto m = targets::dm_describe(maj, min);
    if (!m) return m.error();
    for (const auto& d : stack.devices) {
      if (d.name == m->name) return m->name;  // shared by two branches: recorded once
    }
    config::RecordedDmDevice rec{m->name, m->uuid, {}};
    for (const auto& t : m->table) {
      Error failed;
      bool ok = true;
      auto params =
          targets::rewrite_dm_devices(t.params, [&](const std::string& devno) -> std::optional<std::string> {
            auto id = identity(devno);
            if (id) return *id;
            failed = id.error();
            ok = false;
            return std::nullopt;
          });
      if (!ok) return failed.within("device-mapper " + m->name);
      if (!params) return params.error();
      targets::DmTarget stable = t;
      stable.params = *params;
      rec.table.push_back(stable.to_line());
    }
    stack.devices.push_back(std::move(rec));
    --depth;
    return m->name;
  }
};

}  // namespace

Result<DmStack> record_dm_stack(const std::string& name, const std::string& sysfs_block,
                                const std::string& dev_dir) {
  Recorder r{sysfs_block, dev_dir, {}, 0};
  if (!r.is_dm(name)) return DmStack{};
  auto top = r.record(name);
  if (!top) return top.error();
  return r.stack;
}

}  // namespace kdk::loader
