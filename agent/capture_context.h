// What one capture knows, shared by the ways of saving it (disk and NFS
// filesystems in capture.cc, uploads in capture_upload.cc). Internal to the
// capture sequence.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "agent/capture.h"
#include "agent/dmesg/kernel_log.h"
#include "agent/dump/dump.h"
#include "agent/metadata.h"
#include "agent/vmcore/vmcore_file.h"
#include "config/config.h"
#include "config/load_record.h"
#include "targets/block_devices.h"
#include "util/byte_writer.h"

namespace kdk::agent {

struct CaptureContext {
  const CapturePaths& paths;
  config::Config config;
  config::LoadRecord record;
  vmcore::VmcoreFile core;
  std::string dir_name;
  std::optional<dmesg::KernelLog> kernel_log;
  std::vector<std::string> log_damage;
  CaptureMetadata metadata;
  targets::Clock clock;
  std::string cmdline;      // the capture kernel's, for test switches
  bool network_up = false;  // brought up once, for the first network target
  std::string network_error;
};

struct TargetResult {
  enum Kind { kComplete, kLogOnly, kFailed } kind = kFailed;
  std::string detail;  // where it went (and why no dump), or why it failed
};

// The system clock, whose waits count as progress for the watchdog.
targets::Clock working_clock();
double seconds_since(std::chrono::milliseconds start, const targets::Clock& clock);
double uptime_seconds();
// The capture process's peak resident memory so far (VmHWM), in KiB.
uint64_t peak_rss_kib();

// The engine's options for this capture at `level`, and the bookkeeping of
// what it wrote into the metadata.
Result<dump::DumpOptions> engine_options(const CaptureContext& ctx, int level);
void record_dump_stats(CaptureContext& ctx, const dump::DumpOptions& options, const dump::DumpStats& stats);
// Copies the vmcore byte for byte (dump_format = raw), logging progress.
Status copy_vmcore(const vmcore::VmcoreFile& core, ByteWriter& out, const targets::Clock& clock);

// A network target (http, https, s3, sftp, ssh): the crash directory uploaded.
TargetResult save_to_store(CaptureContext& ctx, const config::Target& target, const config::NetworkTarget& where);
// Brings up the network once (interface, addresses, routes, resolver) and
// puts the clock right for TLS; false with ctx.network_error when it failed.
bool ensure_network(CaptureContext& ctx);

}  // namespace kdk::agent
