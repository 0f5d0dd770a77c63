// Network targets that are not filesystems (HTTP(S), S3, SFTP and SSH
// commands): the crash directory is uploaded file by file. The log and a first metadata.json go
// first, so that why the machine crashed is on the server within seconds;
// then the dump as one flattened stream (vmcore.flat), the console log, and
// last the final metadata.json with "complete": true, which is what marks a
// dump complete on a server where nothing can be renamed.
#include <sys/time.h>
#include <time.h>

#include <cstdlib>

#include "agent/capture_context.h"
#include "agent/clock_check.h"
#include "agent/console_log.h"
#include "agent/heartbeat.h"
#include "agent/net/bring_up.h"
#include "agent/test_switches.h"
#include "engine/dump/sink.h"
#include "targets/open_store.h"
#include "util/format.h"
#include "util/log.h"
#include "util/time_format.h"

namespace kdk::agent {

namespace {

// Sets the clock from CRASHTIME when it is far off (TLS needs a sane time).
void check_clock(CaptureContext& ctx) {
  if (auto forced = test_switch(ctx.cmdline, "clock")) {
    struct timeval tv {
      std::strtoll(forced->c_str(), nullptr, 10), 0
    };
    if (::settimeofday(&tv, nullptr) == 0) log::warn("kdumpkit_test.clock: clock set to %s", forced->c_str());
  }
  const int64_t now = static_cast<int64_t>(::time(nullptr));
  auto fixed = corrected_time(now, ctx.metadata.crash_time, uptime_seconds());
  if (!fixed) return;
  struct timeval tv {
    static_cast<time_t>(*fixed), 0
  };
  if (::settimeofday(&tv, nullptr) != 0) {
    ctx.metadata.clock = format("clock %s is far from the crash time, and setting it failed: errno %d",
                                format_utc(now, "%Y-%m-%d %H:%M:%S").c_str(), errno);
  } else {
    ctx.metadata.clock =
        format("clock was %s UTC; set to the crash time plus uptime, %s UTC",
               format_utc(now, "%Y-%m-%d %H:%M:%S").c_str(), format_utc(*fixed, "%Y-%m-%d %H:%M:%S").c_str());
  }
  log::warn("%s", ctx.metadata.clock.c_str());
}

struct Upload {
  CaptureContext& ctx;
  targets::CrashStore& store;

  Status put(const std::string& name, std::string_view data) {
    auto t0 = ctx.clock.now();
    heartbeat();
    auto stored = store.put(name, data);
    if (!stored) return stored.error();
    record(name, *stored, t0);
    return {};
  }

  void record(const std::string& name, const targets::StoredObject& o, std::chrono::milliseconds t0) {
    for (auto& f : ctx.metadata.files) {
      if (f.name == name) {
        f = SavedFile{name, o.size, o.sha256, seconds_since(t0, ctx.clock)};
        return;
      }
    }
    ctx.metadata.files.push_back(SavedFile{name, o.size, o.sha256, seconds_since(t0, ctx.clock)});
  }

  Status put_metadata(const TargetAttempt& attempt) {
    ctx.metadata.capture_seconds = uptime_seconds() - ctx.metadata.capture_started_uptime;
    ctx.metadata.peak_rss_kib = peak_rss_kib();
    ctx.metadata.targets.push_back(attempt);
    std::string json = ctx.metadata.to_json();
    ctx.metadata.targets.pop_back();
    auto stored = store.put("metadata.json", json);
    if (!stored) return stored.error();
    return {};
  }
};

// The dump as the stream a store uploads: flattened kdump (or ELF), or the
// raw vmcore. Re-run from the start on a retry: the engine is deterministic.
Status produce_dump(CaptureContext& ctx, ByteWriter& out) {
  heartbeat();
  ctx.metadata.has_dump_summary = false;
  if (ctx.config.dump_format == config::DumpFormat::kRaw) {
    dump::StreamSink sink(out);
    return write_dump(ctx, sink, ctx.config.dump_level);
  }
  dump::FlatSink sink(out);
  return write_dump(ctx, sink, ctx.config.dump_level);
}

}  // namespace

bool ensure_network(CaptureContext& ctx) {
  if (ctx.network_up) return true;
  if (!ctx.network_error.empty()) return false;  // tried once already: no second wait
  if (!ctx.paths.bring_up_network) {
    ctx.metadata.network = "the machine's own (capture run by hand)";
    ctx.network_up = true;
    return true;
  }
  net::Settings s = net::Settings::from(ctx.config.network, ctx.record);
  auto state = net::bring_up(s, ctx.clock);
  if (!state) {
    ctx.network_error = state.error().message;
    ctx.metadata.network = "failed: " + ctx.network_error;
    return false;
  }
  ctx.metadata.network = state->describe();
  log::info("network: %s", ctx.metadata.network.c_str());
  check_clock(ctx);
  ctx.network_up = true;
  return true;
}

TargetResult save_to_store(CaptureContext& ctx, const config::Target& target,
                           const config::NetworkTarget& where) {
  auto failed = [](const std::string& why) { return TargetResult{TargetResult::kFailed, why}; };
  auto opened = targets::open_crash_store(ctx.config, where, ctx.dir_name);
  if (!opened) return failed(opened.error().message);
  targets::CrashStore& store = **opened;
  CaptureMetadata& m = ctx.metadata;
  m.start_attempt();
  Upload up{ctx, store};
  const std::string shown = store.where();
  log::info("uploading to %s", shown.c_str());

  if (ctx.kernel_log) {
    if (auto s = up.put("vmcore-dmesg.txt", ctx.kernel_log->text()); !s) return failed(s.error().message);
  }
  m.incomplete_reason = "the dump is being uploaded";
  if (auto s = up.put_metadata(TargetAttempt{target.text, false, shown, "in progress"}); !s) {
    return failed("metadata.json: " + s.error().message);
  }

  const std::string name = ctx.config.dump_format == config::DumpFormat::kRaw ? "vmcore" : "vmcore.flat";
  auto t0 = ctx.clock.now();
  auto stored = store.put_stream(name, [&](ByteWriter& out) { return produce_dump(ctx, out); });
  const double secs = seconds_since(t0, ctx.clock);
  if (stored) {
    up.record(name, *stored, t0);
    m.complete = true;
    m.incomplete_reason.clear();
  } else {
    log::error("%s on %s: %s", name.c_str(), shown.c_str(), stored.error().message.c_str());
    m.incomplete_reason = name + " not uploaded: " + stored.error().message;
    m.has_dump_summary = false;
  }

  std::string log_text = console_log().text();
  if (auto s = up.put("kdumpkit.log", log_text); !s) log::warn("kdumpkit.log: %s", s.error().message.c_str());
  TargetAttempt attempt{target.text, m.complete, shown, m.complete ? "complete" : "log and metadata only"};
  if (!m.complete) attempt.detail = shown + ": " + m.incomplete_reason;
  if (auto s = up.put_metadata(attempt); !s) {
    return failed((m.complete ? std::string() : m.incomplete_reason + "; ") +
                  "metadata.json: " + s.error().message);
  }
  if (!m.complete) return TargetResult{TargetResult::kLogOnly, attempt.detail};
  uint64_t size = stored->size;
  return TargetResult{TargetResult::kComplete,
                      format("uploaded %s (level %d, %llu MiB in %.1f s, %.1f MiB/s) to %s", name.c_str(),
                             ctx.config.dump_level, static_cast<unsigned long long>(size >> 20), secs,
                             secs > 0 ? static_cast<double>(size) / 1048576.0 / secs : 0.0, shown.c_str())};
}

}  // namespace kdk::agent
