// What one capture knows, shared by the ways of saving it (disk and NFS
// filesystems in capture.cc, uploads in capture_upload.cc). Internal to the
// capture sequence.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "agent/capture.h"
#include "agent/metadata.h"
#include "config/config.h"
#include "config/load_record.h"
#include "engine/dmesg/kernel_log.h"
#include "engine/dump/dump.h"
#include "engine/vmcore/vmcore_file.h"
#include "util/byte_writer.h"
#include "util/clock.h"

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
  Clock clock;
  std::string cmdline;      // the capture kernel's, for test switches
  bool network_up = false;  // brought up once, for the first network target
  std::string network_error;
};

struct TargetResult {
  enum Kind { kComplete, kLogOnly, kFailed } kind = kFailed;
  std::string detail;  // where it went (and why no dump), or why it failed
};

// The system clock, whose waits count as progress for the watchdog.
Clock working_clock();
double seconds_since(std::chrono::milliseconds start, const Clock& clock);
double uptime_seconds();
// The capture process's peak resident memory so far (VmHWM), in KiB.
uint64_t peak_rss_kib();

// The engine's options for this capture at `level`, and the bookkeeping of
// what it wrote into the metadata.
Result<dump::DumpOptions> engine_options(const CaptureContext& ctx, int level);
void record_dump_stats(CaptureContext& ctx, const dump::DumpOptions& options, const dump::DumpStats& stats);
// The dump, into any sink (a file on a disk or NFS target, the flattened
// stream of an upload or a raw partition): a byte copy of the vmcore
// (dump_format = raw), or filtered and compressed by the engine at `level`.
// The one writer every target goes through.
Status write_dump(CaptureContext& ctx, dump::Sink& sink, int level);

// A network target (http, https, s3, sftp, ssh): the crash directory uploaded.
TargetResult save_to_store(CaptureContext& ctx, const config::Target& target, const config::NetworkTarget& where);
// Brings up the network once (interface, addresses, routes, resolver) and
// puts the clock right for TLS; false with ctx.network_error when it failed.
bool ensure_network(CaptureContext& ctx);

}  // namespace kdk::agent
