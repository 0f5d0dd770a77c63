#include "agent/metadata.h"

#include <time.h>

#include "util/time_format.h"
#include "util/json_writer.h"

namespace kdk::agent {

std::string iso8601_utc(int64_t seconds) { return format_utc(seconds, "%Y-%m-%dT%H:%M:%SZ"); }

void CaptureMetadata::start_attempt() {
  files.clear();
  space = SpaceCheck{};
  has_dump_summary = false;
  complete = false;
  incomplete_reason.clear();
  retention_removed.clear();
}

std::string CaptureMetadata::to_json() const {
  JsonWriter w;
  w.begin_object();
  w.string("tool", "kdumpkit " + tool_version);
  w.string("host", host);
  w.string("kernel_release", kernel_release);
  w.number("crash_time", crash_time);
  w.string("crash_time_utc", iso8601_utc(crash_time));
  w.string("panic_line", panic_line);
  w.string("dump_format", dump_format);
  w.unsigned_number("vmcore_bytes", vmcore_bytes);
  if (has_dump_summary) {
    w.begin_object("dump");
    w.number("level", dump.dump_level).string("compression", dump.compression);
    w.unsigned_number("ram_pages", dump.ram_pages).unsigned_number("dumped_pages", dump.dumped_pages);
    w.unsigned_number("zero_pages", dump.zero_pages);
    w.begin_object("excluded_pages");
    w.unsigned_number("cache", dump.excluded_cache).unsigned_number("cache_private", dump.excluded_cache_private);
    w.unsigned_number("user", dump.excluded_user).unsigned_number("free", dump.excluded_free);
    w.unsigned_number("hwpoison", dump.excluded_hwpoison).unsigned_number("offline", dump.excluded_offline);
    w.end_object();
    w.end_object();
  }
  w.string("kernel_log", kernel_log_source);
  w.begin_array("damage");
  for (const auto& d : damage) w.string("", d);
  w.end_array();
  w.begin_array("files");
  for (const auto& f : files) {
    w.begin_object().string("name", f.name).unsigned_number("size", f.size).string("sha256", f.sha256);
    w.real("seconds", f.seconds).end_object();
  }
  w.end_array();
  w.begin_array("targets");
  for (const auto& t : targets) {
    w.begin_object().string("target", t.target).boolean("ok", t.ok).string("result", t.result);
    w.string("detail", t.detail).end_object();
  }
  w.end_array();
  if (space.checked) {
    w.begin_object("space");
    w.unsigned_number("available_bytes", space.available_bytes).unsigned_number("min_free_bytes", space.min_free_bytes);
    w.number("requested_level", space.requested_level).number("chosen_level", space.chosen_level);
    w.unsigned_number("dumpable_pages", space.dumpable_pages);
    w.unsigned_number("estimated_max_bytes", space.upper_bytes).unsigned_number("estimated_bytes", space.expected_bytes);
    w.real("seconds", space.seconds).string("decision", space.decision);
    w.end_object();
  }
  w.begin_array("retention_removed");
  for (const auto& r : retention_removed) w.string("", r);
  w.end_array();
  if (!network.empty()) w.string("network", network);
  if (!clock.empty()) w.string("clock", clock);
  w.real("capture_started_uptime", capture_started_uptime);
  w.real("capture_seconds", capture_seconds);
  w.unsigned_number("peak_rss_kib", peak_rss_kib);
  w.boolean("complete", complete);
  if (!complete) w.string("incomplete_reason", incomplete_reason);
  w.end_object();
  return w.text();
}

}  // namespace kdk::agent
