// The raw partition target: the capture's files on a block device with no
// filesystem, behind the header of targets/raw_header.h. Order on the device:
//   header (4 KiB) | vmcore-dmesg.txt | vmcore.flat (1 MiB aligned) | kdumpkit.log | metadata.json
// The kernel log goes first and is recorded in the "writing" header at once,
// so an interrupted capture still leaves it; the dump is makedumpfile's
// flattened stream (the device is written strictly forward); the header is
// committed last. `kdumpkit savecore` (loader/savecore.h) turns it back into
// a crash directory on the next boot.
//
// The capture sequence's own steps (space check, dump engine, final
// metadata) come in as hooks so that this file depends on no capture internals.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "agent/metadata.h"
#include "config/load_record.h"
#include "config/target_url.h"
#include "engine/dump/sink.h"
#include "util/clock.h"
#include "util/result.h"

namespace kdk::agent {

struct RawCaptureJob {
  config::RawTarget target;
  std::string target_text;  // as configured
  std::chrono::milliseconds device_timeout{0};
  Clock clock;
  int64_t crash_time = 0;
  std::string dir_name;                 // "<host>-<YYYY-MM-DD-HH:MM:SS>", restored by savecore
  const std::string* dmesg = nullptr;   // the kernel log text; null when none could be read
  CaptureMetadata* metadata = nullptr;  // files/space/complete/incomplete_reason are filled here
  // The device as `load` saw it (null: none recorded, as from an older
  // load): a device that is not it any more is not written to.
  const config::RawIdentity* identity = nullptr;

  // Which dump level fits in `usable` bytes (or the error finding the size): SpaceCheck::chosen_level < 0 =
  // none.
  std::function<SpaceCheck(Result<uint64_t> usable)> check_space;
  // Writes the vmcore at `level` through `sink` (which must end with sink.finish()).
  std::function<Status(dump::Sink& sink, int level)> write_dump;
  // The console log so far (kdumpkit.log).
  std::function<std::string()> console_log;
  // metadata.json's final text with `attempt` as this target's entry.
  std::function<std::string(const TargetAttempt& attempt)> final_metadata;
};

struct RawCaptureResult {
  enum Kind { kComplete, kLogOnly, kFailed } kind = kFailed;
  std::string detail;
};

RawCaptureResult save_to_raw(const RawCaptureJob& job);

// Bytes kept after the stream for kdumpkit.log and metadata.json.
constexpr uint64_t kRawTrailerReserve = 4ULL << 20;

}  // namespace kdk::agent
