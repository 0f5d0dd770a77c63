#include "agent/capture.h"

#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <optional>
#include <stdexcept>
#include <vector>

#include "agent/capture_context.h"
#include "agent/console_log.h"
#include "agent/dm_activate.h"
#include "agent/heartbeat.h"
#include "agent/metadata.h"
#include "agent/module_loader.h"
#include "agent/raw_capture.h"
#include "agent/retention.h"
#include "agent/space_estimate.h"
#include "agent/test_switches.h"
#include "config/load_record.h"
#include "engine/dmesg/vmcore_dmesg.h"
#include "engine/dump/dump.h"
#include "engine/dump/sink.h"
#include "engine/vmcore/vmcore_file.h"
#include "targets/disk_target.h"
#include "util/fd.h"
#include "util/format.h"
#include "util/log.h"
#include "util/time_format.h"
#include "util/version.h"

namespace kdk::agent {

namespace {

constexpr size_t kCopyChunk = 4 << 20;

// Copies the vmcore byte for byte into `out` (strictly forward), logging
// progress about every 5 seconds.
Status copy_vmcore(const vmcore::VmcoreFile& core, dump::Sink& out, const Clock& clock) {
  std::vector<char> buf(kCopyChunk);
  const uint64_t total = core.size();
  uint64_t done = 0;
  auto start = clock.now();
  auto last = start;
  while (done < total) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), total - done));
    ssize_t n = ::pread(core.fd(), buf.data(), want, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, format("read %s at offset 0x%llx", core.path().c_str(),
                                             static_cast<unsigned long long>(done)));
    }
    if (n == 0) {
      return Error{format("%s ends at %llu bytes, expected %llu", core.path().c_str(),
                          static_cast<unsigned long long>(done), static_cast<unsigned long long>(total))};
    }
    if (auto s = out.write_at(done, buf.data(), static_cast<size_t>(n)); !s) return s;
    done += static_cast<uint64_t>(n);
    auto now = clock.now();
    if (now - last >= std::chrono::seconds(5)) {
      double secs = std::chrono::duration<double>(now - start).count();
      log::info("copied %llu of %llu MiB (%.0f%%, %.1f MiB/s)", static_cast<unsigned long long>(done >> 20),
                static_cast<unsigned long long>(total >> 20),
                100.0 * static_cast<double>(done) / static_cast<double>(total),
                static_cast<double>(done >> 20) / secs);
      last = now;
    }
  }
  return {};
}

// An AtomicFile as a Sink: bytes that continue the file go through
// AtomicFile::write (its digest follows them: a raw copy is hashed as it
// is written); any other write is a pwrite on its descriptor (the engine's
// kdump layout), and the digest is then read back at commit.
class AtomicFileSink final : public dump::Sink {
 public:
  explicit AtomicFileSink(targets::AtomicFile& file) : file_(file) {}
  Status write_at(uint64_t offset, const void* data, size_t size) override {
    bytes_ += size;
    if (!placed_ && offset == file_.bytes_written()) return file_.write(data, size);
    if (!placed_) placed_.emplace(file_.fd(), "vmcore");
    return placed_->write_at(offset, data, size);
  }
  Status finish() override { return {}; }
  uint64_t bytes_out() const override { return bytes_; }

 private:
  targets::AtomicFile& file_;
  std::optional<dump::FileSink> placed_;
  uint64_t bytes_ = 0;
};

}  // namespace

Status write_dump(CaptureContext& ctx, dump::Sink& sink, int level) {
  ctx.metadata.damage = ctx.log_damage;  // this attempt's own findings follow
  if (ctx.config.dump_format == config::DumpFormat::kRaw) {
    Status s = copy_vmcore(ctx.core, sink, ctx.clock);
    return s ? sink.finish() : s;
  }
  auto o = engine_options(ctx, level);
  if (!o) return o.error();
  auto stats = dump::dump_vmcore(ctx.core, *o, sink);
  if (!stats) return stats.error();
  record_dump_stats(ctx, *o, *stats);
  return {};
}

namespace {

// Writes one file of the crash directory atomically and records it.
Status write_dump_file(CaptureContext& ctx, const std::string& dir, const std::string& name,
                       const std::string& incomplete_name,
                       const std::function<Status(targets::AtomicFile&)>& fill) {
  auto t0 = ctx.clock.now();
  auto file = targets::AtomicFile::create(dir, name, incomplete_name);
  if (!file) return file.error();
  Status done = fill(*file);
  if (done) done = file->commit();
  if (!done) {
    // Nothing half-written stays behind: it would only take the space the
    // log and metadata still need.
    if (auto s = file->discard(); !s) log::warn("%s", s.error().message.c_str());
    return done;
  }
  ctx.metadata.files.push_back(
      SavedFile{name, file->bytes_written(), file->sha256(), seconds_since(t0, ctx.clock)});
  return {};
}

uint64_t vmcore_size(const CaptureMetadata& m) {
  for (const auto& f : m.files) {
    if (f.name == "vmcore") return f.size;
  }
  return 0;
}

// Which dump level fits in the free space (config min_free kept free).
SpaceCheck check_space(CaptureContext& ctx, const Result<uint64_t>& avail) {
  SpaceCheck c;
  c.checked = true;
  c.requested_level = ctx.config.dump_level;
  c.min_free_bytes = static_cast<uint64_t>(ctx.config.min_free_mib) << 20;
  if (!avail) {
    c.chosen_level = ctx.config.dump_level;
    c.decision = avail.error().message + "; writing the dump anyway";
    return c;
  }
  c.available_bytes = *avail;
  const uint64_t usable = *avail > c.min_free_bytes ? *avail - c.min_free_bytes : 0;
  if (test_switch(ctx.cmdline, "no_space_check").value_or("") == "1") {
    // For the test of a disk that fills up midway: as if the estimate were wrong.
    c.chosen_level = ctx.config.dump_level;
    c.decision = "space check skipped (kdumpkit_test.no_space_check=1)";
    return c;
  }
  auto t0 = ctx.clock.now();
  const bool compressed = ctx.config.compression != "none";
  auto estimate = [&](int level) -> Result<DumpSize> {
    heartbeat();
    auto size = estimate_dump_size(ctx.core, ctx.config.dump_format, level, compressed);
    if (size) {
      log::info("dump level %d: %llu pages, about %llu MiB (at most %llu MiB)", level,
                static_cast<unsigned long long>(size->dumpable_pages),
                static_cast<unsigned long long>(size->expected_bytes >> 20),
                static_cast<unsigned long long>(size->upper_bytes >> 20));
    }
    return size;
  };
  SpaceDecision d;
  if (ctx.config.dump_format == config::DumpFormat::kRaw) {
    // A byte copy has one size: no level to fall back to.
    auto size = estimate(ctx.config.dump_level);
    d.size = size ? *size : DumpSize{};
    d.write_dump = size && size->expected_bytes <= usable;
    d.reason = format("raw copy of %llu MiB, %llu MiB usable",
                      static_cast<unsigned long long>(d.size.upper_bytes >> 20),
                      static_cast<unsigned long long>(usable >> 20));
    if (!d.write_dump) d.reason = "no dump: " + d.reason;
  } else {
    d = decide_dump_level(usable, ctx.config.dump_level, estimate);
  }
  if (c.min_free_bytes) d.reason += format(" (min_free %d MiB kept free)", ctx.config.min_free_mib);
  c.seconds = seconds_since(t0, ctx.clock);
  c.chosen_level = d.write_dump ? (d.size.level ? d.size.level : ctx.config.dump_level) : -1;
  c.dumpable_pages = d.size.dumpable_pages;
  c.upper_bytes = d.size.upper_bytes;
  c.expected_bytes = d.size.expected_bytes;
  c.decision = d.reason;
  return c;
}

// metadata.json as it stands, with `attempt` as the current target's entry.
std::string final_metadata_json(CaptureContext& ctx, const TargetAttempt& attempt) {
  ctx.metadata.capture_seconds = uptime_seconds() - ctx.metadata.capture_started_uptime;
  ctx.metadata.peak_rss_kib = peak_rss_kib();
  ctx.metadata.targets.push_back(attempt);
  std::string json = ctx.metadata.to_json();
  ctx.metadata.targets.pop_back();
  return json;
}

// Log and metadata close every attempt that got a directory, dump or not.
Status write_log_and_metadata(CaptureContext& ctx, const std::string& dir, const TargetAttempt& attempt) {
  std::string log_text = console_log().text();
  Status logged =
      write_dump_file(ctx, dir, "kdumpkit.log", "kdumpkit-incomplete.log",
                      [&](targets::AtomicFile& f) { return f.write(log_text.data(), log_text.size()); });
  if (!logged) log::warn("kdumpkit.log: %s", logged.error().message.c_str());
  std::string json = final_metadata_json(ctx, attempt);
  return write_dump_file(ctx, dir, "metadata.json", "metadata.json-incomplete",
                         [&](targets::AtomicFile& f) { return f.write(json.data(), json.size()); });
}

// A mounted filesystem (a disk, or an NFS export) holding the crash directory.
TargetResult save_to_filesystem(CaptureContext& ctx, const config::Target& target,
                                Result<targets::MountedDisk> mounted) {
  auto failed = [](const std::string& why) { return TargetResult{TargetResult::kFailed, why}; };
  if (!mounted) return failed(mounted.error().message);
  CaptureMetadata& m = ctx.metadata;
  m.start_attempt();
  auto dir = mounted->make_crash_directory(ctx.dir_name);
  if (!dir) return failed(dir.error().message);
  const std::string dir_name = dir->substr(dir->find_last_of('/') + 1);
  // keep = N: this host's complete dumps beyond the newest N go, the new one
  // counted (agent/retention.h).
  auto prune = [&](const char* when) {
    if (ctx.config.keep <= 0) return;
    if (auto removed = prune_crash_directories(mounted->root(), ctx.record.host, ctx.config.keep, dir_name)) {
      m.retention_removed.insert(m.retention_removed.end(), removed->begin(), removed->end());
      for (const auto& r : *removed)
        log::info("keep = %d: removed %s (%s)", ctx.config.keep, r.c_str(), when);
    } else {
      log::warn("retention: %s", removed.error().message.c_str());
    }
  };
  const std::string shown = dir->substr(ctx.paths.mount_base.size());
  const std::string where = mounted->device().path + ":" + shown;
  log::info("saving %s (%llu MiB) to %s", ctx.core.path().c_str(),
            static_cast<unsigned long long>(ctx.core.size() >> 20), where.c_str());

  // The log first: within seconds it tells why the machine crashed, even if
  // the dump itself does not make it.
  if (ctx.kernel_log) {
    const std::string& text = ctx.kernel_log->text();
    Status logged =
        write_dump_file(ctx, *dir, "vmcore-dmesg.txt", "vmcore-dmesg-incomplete.txt",
                        [&](targets::AtomicFile& f) { return f.write(text.data(), text.size()); });
    if (!logged) return failed(logged.error().message);
  }

  m.space = check_space(ctx, mounted->available_bytes());
  log::info("space: %s", m.space.decision.c_str());
  if (ctx.config.keep > 0 && m.space.chosen_level != m.space.requested_level) {
    // Old dumps make room only when the new one needs it.
    size_t before = m.retention_removed.size();
    prune("to make room");
    if (m.retention_removed.size() != before) {
      m.space = check_space(ctx, mounted->available_bytes());
      log::info("space: %s", m.space.decision.c_str());
    }
  }
  double secs = 0;
  if (m.space.chosen_level >= 0) {
    auto t0 = ctx.clock.now();
    Status saved = write_dump_file(ctx, *dir, "vmcore", "vmcore-incomplete", [&](targets::AtomicFile& f) {
      AtomicFileSink sink(f);
      return write_dump(ctx, sink, m.space.chosen_level);
    });
    secs = seconds_since(t0, ctx.clock);
    if (saved) {
      m.complete = true;
      // The new dump is in place: now old ones may go (and the metadata says which).
      prune("after the new dump was saved");
    } else {
      log::error("vmcore on %s: %s", where.c_str(), saved.error().message.c_str());
      m.incomplete_reason = "vmcore not saved: " + saved.error().message + " (partial file removed)";
      m.has_dump_summary = false;
    }
  } else {
    m.incomplete_reason = m.space.decision;
  }

  TargetAttempt attempt{target.text, m.complete, where, m.complete ? "complete" : "log and metadata only"};
  if (!m.complete) attempt.detail = where + ": " + m.incomplete_reason;
  Status meta = write_log_and_metadata(ctx, *dir, attempt);
  if (!meta) {
    if (m.complete) return failed("metadata.json: " + meta.error().message);
    return failed(m.incomplete_reason + "; metadata.json: " + meta.error().message);
  }
  if (auto s = mounted->unmount(); !s) return failed(s.error().message);
  if (!m.complete) return TargetResult{TargetResult::kLogOnly, attempt.detail};
  return TargetResult{
      TargetResult::kComplete,
      format("saved %s/vmcore (level %d, %llu MiB in %.1f s) on %s", shown.c_str(), m.space.chosen_level,
             static_cast<unsigned long long>(vmcore_size(m) >> 20), secs, mounted->device().path.c_str())};
}

TargetResult save_to_raw_target(CaptureContext& ctx, const config::Target& target,
                                const config::RawTarget& raw) {
  RawCaptureJob job;
  job.target = raw;
  job.target_text = target.text;
  job.device_timeout = std::chrono::seconds(ctx.config.device_timeout_s);
  job.clock = ctx.clock;
  job.crash_time = ctx.metadata.crash_time;
  job.dir_name = ctx.dir_name;
  if (ctx.kernel_log) job.dmesg = &ctx.kernel_log->text();
  job.metadata = &ctx.metadata;
  job.identity = ctx.record.raw_identity(raw.device);
  job.check_space = [&](const Result<uint64_t>& usable) { return check_space(ctx, usable); };
  job.write_dump = [&](dump::Sink& sink, int level) { return write_dump(ctx, sink, level); };
  job.console_log = [] { return console_log().text(); };
  job.final_metadata = [&](const TargetAttempt& a) { return final_metadata_json(ctx, a); };
  RawCaptureResult r = save_to_raw(job);
  return TargetResult{r.kind == RawCaptureResult::kComplete  ? TargetResult::kComplete
                      : r.kind == RawCaptureResult::kLogOnly ? TargetResult::kLogOnly
                                                             : TargetResult::kFailed,
                      r.detail};
}

// kdumpkit_test.hang=1: the job stops here for good (watchdog and deadline tests).
void hang_if_asked(const std::string& cmdline) {
  if (test_switch(cmdline, "hang").value_or("") != "1") return;
  log::warn("kdumpkit_test.hang=1: the capture job hangs here on purpose");
  for (;;) ::pause();
}

// Reads the crashed kernel's log once, for vmcore-dmesg.txt and the panic
// line. A damaged ring still gives what could be read; no log is no reason
// not to save the dump.
void read_kernel_log(CaptureContext& ctx) {
  uint64_t page_size = ctx.core.info().number("PAGESIZE").value_or(4096);
  auto phys = vmcore::PhysicalMemory::create(ctx.core, page_size);
  if (!phys) {
    ctx.metadata.kernel_log_source = "none: " + phys.error().message;
    return;
  }
  auto log = dmesg::read_vmcore_kernel_log(ctx.core, *phys);
  if (!log) {
    log::warn("kernel log: %s", log.error().message.c_str());
    ctx.metadata.kernel_log_source = "none: " + log.error().message;
    return;
  }
  ctx.metadata.kernel_log_source = log->source();
  ctx.metadata.panic_line = log->panic_line();
  if (log->damaged()) {
    log::warn("kernel log damaged: %s", log->damage_summary().c_str());
    ctx.log_damage.push_back("kernel log: " + log->damage_summary());
    ctx.metadata.damage = ctx.log_damage;
  }
  log::info("kernel log: %zu records; panic: %s", log->records(),
            log->panic_line().empty() ? "(none found)" : log->panic_line().c_str());
  ctx.kernel_log = std::move(*log);
}

// Where a target's bytes go, by kind.
TargetResult save_to_target(CaptureContext& ctx, const config::Target& target) {
  const auto timeout = std::chrono::seconds(ctx.config.device_timeout_s);
  if (const auto* disk = std::get_if<config::DiskTarget>(&target.where)) {
    return save_to_filesystem(ctx, target,
                              targets::MountedDisk::mount(*disk, ctx.paths.mount_base, timeout, ctx.clock));
  }
  if (const auto* net = std::get_if<config::NetworkTarget>(&target.where)) {
    if (!ensure_network(ctx)) return TargetResult{TargetResult::kFailed, "network: " + ctx.network_error};
    if (net->scheme == "nfs") {
      return save_to_filesystem(
          ctx, target, targets::MountedDisk::mount_nfs(*net, ctx.paths.mount_base, timeout, ctx.clock));
    }
    return save_to_store(ctx, target, *net);
  }
  if (const auto* raw = std::get_if<config::RawTarget>(&target.where))
    return save_to_raw_target(ctx, target, *raw);
  return TargetResult{TargetResult::kFailed, "this version of kdumpkit cannot save to this kind of target"};
}

// Each target behind its own boundary: whatever one throws (a bad_alloc, a
// bug), the next target still gets the dump.
// kdumpkit_test.throw_in_target=N makes the Nth target (from 1) throw.
TargetResult save_to_target_guarded(CaptureContext& ctx, const config::Target& target, size_t number) {
  try {
    if (test_switch(ctx.cmdline, "throw_in_target").value_or("") == std::to_string(number)) {
      throw std::runtime_error("kdumpkit_test.throw_in_target=" + std::to_string(number));
    }
    return save_to_target(ctx, target);
  } catch (const std::exception& e) {
    return TargetResult{TargetResult::kFailed, std::string("internal error: ") + e.what()};
  } catch (...) {
    return TargetResult{TargetResult::kFailed, "internal error: an unknown exception"};
  }
}

}  // namespace

double seconds_since(std::chrono::milliseconds start, const Clock& clock) {
  return std::chrono::duration<double>(clock.now() - start).count();
}

double uptime_seconds() {
  struct timespec ts {};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

Clock working_clock() {
  Clock c = Clock::system();
  auto sleep = c.sleep;
  c.sleep = [sleep](std::chrono::milliseconds d) {
    heartbeat();
    sleep(d);
  };
  return c;
}

// What crashkernel= must leave room for. 0 when /proc does not say.
uint64_t peak_rss_kib() {
  auto status = read_file("/proc/self/status");
  if (!status) return 0;
  size_t at = status->find("VmHWM:");
  if (at == std::string::npos) return 0;
  return std::strtoull(status->c_str() + at + 6, nullptr, 10);
}

Result<dump::DumpOptions> engine_options(const CaptureContext& ctx, int level) {
  dump::DumpOptions o;
  o.format =
      ctx.config.dump_format == config::DumpFormat::kElf ? dump::DumpFormat::elf : dump::DumpFormat::kdump;
  o.dump_level = level;
  auto compression = dump::parse_compression(ctx.config.compression);
  if (!compression) return compression.error();
  o.compression = o.format == dump::DumpFormat::elf ? dump::Compression::none : *compression;
  o.threads = static_cast<unsigned>(ctx.config.threads);
  o.memory_bytes = static_cast<uint64_t>(ctx.config.memory_budget_mib) << 20;
  return o;
}

void record_dump_stats(CaptureContext& ctx, const dump::DumpOptions& o, const dump::DumpStats& stats) {
  DumpSummary& d = ctx.metadata.dump;
  ctx.metadata.has_dump_summary = true;
  d.dump_level = o.dump_level;
  d.compression = dump::compression_name(o.compression);
  d.ram_pages = stats.ram_pages;
  d.dumped_pages = stats.dumpable_pages;
  d.zero_pages = stats.zero_pages;
  d.excluded_cache = stats.excluded.cache;
  d.excluded_cache_private = stats.excluded.cache_private;
  d.excluded_user = stats.excluded.user;
  d.excluded_free = stats.excluded.free;
  d.excluded_hwpoison = stats.excluded.hwpoison;
  d.excluded_offline = stats.excluded.offline;
  for (const auto& dmg : stats.damage) {
    ctx.metadata.damage.push_back(format("pfns 0x%llx-0x%llx: %s",
                                         static_cast<unsigned long long>(dmg.start_pfn),
                                         static_cast<unsigned long long>(dmg.end_pfn), dmg.what.c_str()));
  }
}

std::string crash_directory_name(const std::string& host, int64_t crash_time) {
  return host + "-" + format_utc(crash_time, "%Y-%m-%d-%H:%M:%S");
}

namespace {

CaptureOutcome run_capture_steps(const CapturePaths& paths) {
  keep_console_log();
  auto fail = [](const std::string& why) { return CaptureOutcome{false, why}; };
  const double started = uptime_seconds();

  auto config_text = read_file(paths.config);
  if (!config_text) return fail(config_text.error().message);
  auto cfg = config::parse_config(*config_text, paths.config);
  if (!cfg) return fail(cfg.error().message);
  auto cmdline = read_file(paths.cmdline);
  if (cmdline) {
    if (auto s = config::apply_command_line_overrides(*cfg, *cmdline); !s) {
      log::warn("ignoring kernel command line overrides: %s", s.error().message.c_str());
    }
  }
  auto record_text = read_file(paths.load_record);
  if (!record_text) return fail(record_text.error().message);
  auto record = config::parse_load_record(*record_text, paths.load_record);
  if (!record) return fail(record.error().message);

  if (paths.load_modules && !record->modules.empty()) {
    auto report = load_modules(paths.modules_root + "/" + record->kernel_release, record->modules);
    log::info("modules: %d loaded, %d already present, %d not for this machine, %d failed", report.loaded,
              report.already_present, report.not_applicable, report.failed);
  }
  if (cmdline) hang_if_asked(*cmdline);
  if (!record->dm_devices.empty()) {
    // LVM targets: their mappings exist only once recreated; a failure shows
    // up again as the target's device not being found.
    if (auto s = activate_dm_devices(record->dm_devices, std::chrono::seconds(cfg->device_timeout_s),
                                     working_clock());
        !s) {
      log::error("%s", s.error().message.c_str());
    }
  }

  auto core = vmcore::VmcoreFile::open(paths.vmcore);
  if (!core) return fail(core.error().message);
  CaptureContext ctx{paths, *cfg, *record, std::move(*core), {}, {}, {}, {}, working_clock(), {}};
  if (cmdline) ctx.cmdline = *cmdline;
  int64_t crash_time = 0;
  if (auto t = ctx.core.info().crash_time()) {
    crash_time = *t;
  } else {
    log::warn("%s; naming the dump by the current time", t.error().message.c_str());
    crash_time = static_cast<int64_t>(::time(nullptr));
  }
  auto release = ctx.core.info().os_release();
  log::info("vmcore: %llu MiB, %zu memory ranges, %d CPUs, kernel %s",
            static_cast<unsigned long long>(ctx.core.size() >> 20), ctx.core.layout().loads.size(),
            ctx.core.cpu_count(), release ? release->c_str() : "unknown");
  ctx.dir_name = crash_directory_name(ctx.record.host, crash_time);
  read_kernel_log(ctx);

  CaptureMetadata& m = ctx.metadata;
  m.tool_version = KDUMPKIT_VERSION;
  m.host = ctx.record.host;
  m.kernel_release = release ? *release : "";
  m.crash_time = crash_time;
  m.dump_format = config::to_string(ctx.config.dump_format);
  m.vmcore_bytes = ctx.core.size();
  m.capture_started_uptime = started;

  std::string failures;
  for (size_t i = 0; i < ctx.config.targets.size(); ++i) {
    const config::Target& target = ctx.config.targets[i];
    log::info("target %s (line %d)", target.text.c_str(), target.line);
    TargetResult saved = save_to_target_guarded(ctx, target, i + 1);
    if (saved.kind == TargetResult::kComplete) return CaptureOutcome{true, saved.detail};
    if (saved.kind == TargetResult::kLogOnly) {
      log::warn("target %s: log and metadata only: %s", target.text.c_str(), saved.detail.c_str());
      m.targets.push_back(TargetAttempt{target.text, false, saved.detail, "log and metadata only"});
    } else {
      log::error("target %s failed: %s", target.text.c_str(), saved.detail.c_str());
      m.targets.push_back(TargetAttempt{target.text, false, saved.detail, "failed"});
    }
    if (!failures.empty()) failures += "; ";
    failures += target.text + ": " + saved.detail;
  }
  return fail("no target saved the dump: " + failures);
}

}  // namespace

CaptureOutcome run_capture(const CapturePaths& paths) {
  // The job's own boundary: what escapes every target's (the set-up before
  // them) still ends in the failure action, never in a dead PID 1 job.
  try {
    return run_capture_steps(paths);
  } catch (const std::exception& e) {
    return CaptureOutcome{false, std::string("internal error: ") + e.what()};
  } catch (...) {
    return CaptureOutcome{false, "internal error: an unknown exception"};
  }
}

}  // namespace kdk::agent
