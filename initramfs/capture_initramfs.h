// The capture initramfs as data: which files go where. Built by `load` and
// by `initramfs -o`; byte-for-byte reproducible for the same inputs.
//
//   /init                          this binary (PID 1 runs `capture`)
//   /dev/console                   character device 5,1 (init's stdio)
//   /proc /sys /dev                mount points
//   /etc/kdumpkit.conf             the user's configuration, verbatim
//   /etc/kdumpkit/load.conf        host name, kernel release, module order
//   /lib/modules/<release>/...     the modules the targets need, with closure
//   <same path as on the host>     files network targets name: CA bundles,
//                                  credentials, client certificates (0600)
#pragma once

#include <string>
#include <vector>

#include "config/load_record.h"
#include "initramfs/cpio_writer.h"
#include "util/result.h"

namespace kdk::initramfs {

struct CaptureInitramfsInputs {
  std::string binary_path;                           // becomes /init
  std::string config_text;                           // becomes /etc/kdumpkit.conf
  std::string host;                                  // recorded for the crash directory's name
  std::string kernel_release;                        // of the capture kernel
  std::string modules_dir;                           // that release's modules on this machine
  std::vector<std::string> modules;                  // wanted (names or aliases); closure added
  std::vector<std::string> carried_files;            // absolute host paths, carried at the same path
  config::LoadRecord network;                        // its net_* fields go into the load record
  std::vector<config::RecordedDmDevice> dm_devices;  // mappings the capture recreates (LVM)
  std::vector<config::RawIdentity> raw_devices;      // raw targets as load saw them
};

struct CaptureInitramfs {
  CpioArchive archive;
  config::LoadRecord record;  // what /etc/kdumpkit/load.conf says
};

Result<CaptureInitramfs> build_capture_initramfs(const CaptureInitramfsInputs& inputs);

}  // namespace kdk::initramfs
