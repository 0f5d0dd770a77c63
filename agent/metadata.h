// metadata.json: what a person (or a fleet's tooling) needs to know about a
// saved dump without opening it — whose crash, when, why, how it was saved,
// and whether it is complete. Written last into the crash directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kdk::agent {

struct SavedFile {
  std::string name;  // "vmcore", "vmcore-dmesg.txt"
  uint64_t size = 0;
  std::string sha256;
  double seconds = 0;  // time spent writing it
};

struct TargetAttempt {
  std::string target;  // as configured
  bool ok = false;     // holds a complete dump
  std::string detail;  // where it went, or why it failed
  std::string result;  // "complete", "log and metadata only", "failed"
};

// The free-space check before the dump (disk targets).
struct SpaceCheck {
  bool checked = false;
  uint64_t available_bytes = 0;  // statvfs f_bavail, before min_free
  uint64_t min_free_bytes = 0;
  int requested_level = 0;
  int chosen_level = -1;  // -1: no dump written
  uint64_t dumpable_pages = 0;
  uint64_t upper_bytes = 0;
  uint64_t expected_bytes = 0;
  double seconds = 0;    // spent estimating
  std::string decision;  // why this level, or why no dump
};

// The dump engine's account of the vmcore it wrote.
struct DumpSummary {
  int dump_level = 0;
  std::string compression;
  uint64_t ram_pages = 0;
  uint64_t dumped_pages = 0;
  uint64_t zero_pages = 0;
  uint64_t excluded_cache = 0;
  uint64_t excluded_cache_private = 0;
  uint64_t excluded_user = 0;
  uint64_t excluded_free = 0;
  uint64_t excluded_hwpoison = 0;
  uint64_t excluded_offline = 0;
};

struct CaptureMetadata {
  std::string tool_version;
  std::string host;
  std::string kernel_release;
  int64_t crash_time = 0;  // seconds since the epoch (VMCOREINFO CRASHTIME)
  std::string panic_line;
  std::string dump_format;
  uint64_t vmcore_bytes = 0;  // size of /proc/vmcore
  bool has_dump_summary = false;
  DumpSummary dump;                 // when the engine wrote the vmcore
  std::vector<std::string> damage;  // what was found broken, and kept
  std::string kernel_log_source;    // printk_ringbuffer, printk_log, or why none
  std::vector<SavedFile> files;
  std::vector<TargetAttempt> targets;
  double capture_started_uptime = 0;  // seconds since the capture kernel booted
  double capture_seconds = 0;
  uint64_t peak_rss_kib = 0;  // the capture process's VmHWM when this file was written
  bool complete = false;
  std::string incomplete_reason;  // why there is no complete dump here
  SpaceCheck space;
  std::vector<std::string> retention_removed;  // older crash directories deleted (`keep`)
  std::string network;  // how the capture kernel reached network targets, when it did
  std::string clock;    // when the clock was set from CRASHTIME, what was done


  // Clears what belongs to one target's attempt (files, space check, dump
  // summary, completeness, retention) before the next target is tried.
  void start_attempt();

  std::string to_json() const;
};

// "2026-11-26T12:37:29Z"
std::string iso8601_utc(int64_t seconds);

}  // namespace kdk::agent
