#include "agent/dm_activate.h"

#include <dirent.h>

#include <algorithm>

#include "targets/block_devices.h"
#include "targets/device_mapper.h"
#include "targets/dm_table.h"
#include "targets/lvm_label.h"
#include "util/fd.h"
#include "util/format.h"
#include "util/log.h"
#include "util/text.h"

namespace kdk::agent {

namespace {

using Known = std::vector<std::pair<std::string, std::string>>;

const std::string* lookup(const Known& known, const std::string& id) {
  for (const auto& [k, v] : known) {
    if (k == id) return &v;
  }
  return nullptr;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// Identities the tables name that are not mappings of their own.
std::vector<std::string> wanted_identities(const std::vector<config::RecordedDmDevice>& devices) {
  std::vector<std::string> out;
  for (const auto& d : devices) {
    for (const auto& line : d.table) {
      for (const auto& w : split_words(line)) {
        std::string word(w);
        if ((word.rfind("pv:", 0) == 0 || word.rfind("partuuid:", 0) == 0) &&
            std::find(out.begin(), out.end(), word) == out.end()) {
          out.push_back(word);
        }
      }
    }
  }
  return out;
}

// Every block device's identities as they are now.
Known scan_identities(const DmPaths& p) {
  Known out;
  for (const auto& name : list_dir(p.sysfs_block)) {
    if (name.rfind("ram", 0) == 0) continue;
    auto dev = read_file(p.sysfs_block + "/" + name + "/dev");
    if (!dev) continue;
    std::string devno = std::string(trim(*dev));
    if (auto pv = targets::read_lvm_pv_uuid(p.dev_dir + "/" + name); pv && *pv)
      out.emplace_back("pv:" + **pv, devno);
    std::string partuuid = targets::partition_uuid_of(name, p.sysfs_block, p.dev_dir);
    if (!partuuid.empty()) out.emplace_back("partuuid:" + partuuid, devno);
  }
  return out;
}

}  // namespace

Result<Known> find_dm_lower_devices(const std::vector<config::RecordedDmDevice>& devices,
                                    std::chrono::milliseconds timeout, const Clock& clock,
                                    const DmPaths& paths) {
  const std::vector<std::string> wanted = wanted_identities(devices);
  const auto deadline = clock.now() + timeout;
  for (;;) {
    Known seen = scan_identities(paths);
    Known found;
    std::string missing;
    for (const auto& id : wanted) {
      if (const std::string* devno = lookup(seen, id)) {
        found.emplace_back(id, *devno);
      } else {
        missing += (missing.empty() ? "" : ", ") + id;
      }
    }
    if (missing.empty()) return found;
    if (clock.now() >= deadline) {
      return Error{format("device-mapper: after %lld s still no %s",
                          static_cast<long long>(timeout.count() / 1000), missing.c_str())};
    }
    clock.sleep(std::chrono::milliseconds(250));
  }
}

Result<std::string> translate_dm_line(const std::string& line, const Known& known) {
  std::string out;
  for (const auto& w : split_words(line)) {
    std::string word(w);
    if (word.rfind("pv:", 0) == 0 || word.rfind("partuuid:", 0) == 0 || word.rfind("dm:", 0) == 0) {
      const std::string* devno = lookup(known, word);
      if (!devno) return Error{"device-mapper table \"" + line + "\": " + word + " not found"};
      word = *devno;
    }
    out += (out.empty() ? "" : " ") + word;
  }
  return out;
}

Status activate_dm_devices(const std::vector<config::RecordedDmDevice>& devices,
                           std::chrono::milliseconds timeout, const Clock& clock, const DmPaths& paths) {
  if (devices.empty()) return {};
  auto known = find_dm_lower_devices(devices, timeout, clock, paths);
  if (!known) return known.error();
  for (const auto& d : devices) {
    targets::DmMapping m;
    m.name = d.name;
    m.uuid = d.uuid;
    for (const auto& line : d.table) {
      auto translated = translate_dm_line(line, *known);
      if (!translated) return translated.error();
      auto t = targets::parse_dm_target_line(*translated);
      if (!t) return t.error();
      m.table.push_back(*t);
    }
    auto created = targets::dm_create(m, paths.control);
    if (!created) return created.error();
    std::string devno = format("%u:%u", created->major, created->minor);
    log::info("device-mapper %s: created as %s (%zu target%s: %s)", d.name.c_str(), devno.c_str(),
              m.table.size(), m.table.size() == 1 ? "" : "s", m.table.front().to_line().c_str());
    known->emplace_back("dm:" + d.name, devno);
  }
  return {};
}

}  // namespace kdk::agent
