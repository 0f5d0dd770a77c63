#include "initramfs/capture_initramfs.h"

#include "initramfs/module_index.h"
#include "util/fd.h"
#include "util/log.h"

namespace kdk::initramfs {

Result<CaptureInitramfs> build_capture_initramfs(const CaptureInitramfsInputs& in) {
  CaptureInitramfs out;
  out.record.net_interface = in.network.net_interface;
  out.record.net_mac = in.network.net_mac;
  out.record.net_addresses = in.network.net_addresses;
  out.record.net_gateways = in.network.net_gateways;
  out.record.net_dns = in.network.net_dns;
  out.record.host = in.host;
  out.record.kernel_release = in.kernel_release;
  out.record.dm_devices = in.dm_devices;
  out.record.raw_devices = in.raw_devices;

  if (!in.modules.empty()) {
    auto index = ModuleIndex::load(in.modules_dir);
    if (!index) return index.error();
    auto closure = index->closure(in.modules);
    if (!closure) return closure.error();
    const std::string dest = "/lib/modules/" + in.kernel_release + "/";
    for (const auto& m : *closure) {
      if (m.soft_only && !path_exists(in.modules_dir + "/" + m.relative_path)) {
        // A soft dependency is a hint (modprobe goes on without it): a
        // missing file costs the capture at most an optional helper module.
        log::warn("skipping %s: soft dependency not installed (%s/%s missing)", m.name.c_str(),
                  in.modules_dir.c_str(), m.relative_path.c_str());
        continue;
      }
      out.archive.add_host_file(dest + m.relative_path, in.modules_dir + "/" + m.relative_path, 0644);
      out.record.modules.push_back(m.relative_path);
    }
  }

  out.archive.add_host_file("/init", in.binary_path, 0755);
  out.archive.add_char_device("/dev/console", 5, 1, 0600);
  out.archive.add_directory("/proc", 0555);
  out.archive.add_directory("/sys", 0555);
  out.archive.add_directory("/tmp", 01777);
  out.archive.add_file("/etc/kdumpkit.conf", in.config_text, 0600);
  for (const auto& path : in.carried_files) out.archive.add_host_file(path, path, 0600);
  out.archive.add_file(config::kLoadRecordPath, out.record.serialize(), 0600);
  return out;
}

}  // namespace kdk::initramfs
