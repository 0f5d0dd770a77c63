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
  bool ok = false;
  std::string detail;  // where it went, or why it failed
};

struct CaptureMetadata {
  std::string tool_version;
  std::string host;
  std::string kernel_release;
  int64_t crash_time = 0;  // seconds since the epoch (VMCOREINFO CRASHTIME)
  std::string panic_line;
  std::string dump_format;
  uint64_t vmcore_bytes = 0;  // size of /proc/vmcore
  std::vector<SavedFile> files;
  std::vector<TargetAttempt> targets;
  double capture_started_uptime = 0;  // seconds since the capture kernel booted
  double capture_seconds = 0;
  bool complete = false;

  std::string to_json() const;
};

// "2026-11-26T12:37:29Z"
std::string iso8601_utc(int64_t seconds);

}  // namespace kdk::agent
