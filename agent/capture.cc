#include "agent/capture.h"

#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "agent/module_loader.h"
#include "agent/vmcore/vmcore_file.h"
#include "config/load_record.h"
#include "targets/disk_target.h"
#include "util/fd.h"
#include "util/format.h"
#include "util/log.h"

namespace kdk::agent {

namespace {

constexpr size_t kCopyChunk = 4 << 20;

// Copies the vmcore byte for byte, logging progress about every 5 seconds.
Status copy_vmcore(const vmcore::VmcoreFile& core, targets::AtomicFile& out, const targets::Clock& clock) {
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
    if (auto s = out.write(buf.data(), static_cast<size_t>(n)); !s) return s;
    done += static_cast<uint64_t>(n);
    auto now = clock.now();
    if (now - last >= std::chrono::seconds(5)) {
      double secs = std::chrono::duration<double>(now - start).count();
      log::info("copied %llu of %llu MiB (%.0f%%, %.1f MiB/s)", static_cast<unsigned long long>(done >> 20),
                static_cast<unsigned long long>(total >> 20), 100.0 * static_cast<double>(done) / static_cast<double>(total),
                static_cast<double>(done >> 20) / secs);
      last = now;
    }
  }
  return {};
}

Result<std::string> save_to_disk(const config::Target& target, const config::DiskTarget& disk,
                                 const config::Config& cfg, const vmcore::VmcoreFile& core,
                                 const std::string& dir_name, const CapturePaths& paths) {
  const auto clock = targets::Clock::system();
  auto mounted = targets::MountedDisk::mount(disk, paths.mount_base,
                                             std::chrono::seconds(cfg.device_timeout_s), clock);
  if (!mounted) return mounted.error();
  auto dir = mounted->make_crash_directory(dir_name);
  if (!dir) return dir.error();
  log::info("saving %s (%llu MiB) to %s:%s", core.path().c_str(),
            static_cast<unsigned long long>(core.size() >> 20), mounted->device().path.c_str(),
            dir->substr(paths.mount_base.size()).c_str());
  auto file = targets::AtomicFile::create(*dir, "vmcore", "vmcore-incomplete");
  if (!file) return file.error();
  auto t0 = clock.now();
  if (auto s = copy_vmcore(core, *file, clock); !s) return s.error();
  if (auto s = file->commit(); !s) return s.error();
  double secs = std::chrono::duration<double>(clock.now() - t0).count();
  std::string where = dir->substr(paths.mount_base.size()) + "/vmcore";
  if (auto s = mounted->unmount(); !s) return s.error();
  (void)target;
  return format("saved %s (%llu MiB in %.1f s) on %s", where.c_str(),
                static_cast<unsigned long long>(file->bytes_written() >> 20), secs,
                mounted->device().path.c_str());
}

}  // namespace

std::string crash_directory_name(const std::string& host, int64_t crash_time) {
  time_t t = static_cast<time_t>(crash_time);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y-%m-%d-%H:%M:%S", &tm);
  return host + "-" + stamp;
}

CaptureOutcome run_capture(const CapturePaths& paths) {
  auto fail = [](const std::string& why) { return CaptureOutcome{false, why}; };

  auto config_text = read_file(paths.config);
  if (!config_text) return fail(config_text.error().message);
  auto cfg = config::parse_config(*config_text, paths.config);
  if (!cfg) return fail(cfg.error().message);
  if (auto cmdline = read_file(paths.cmdline)) {
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
    log::info("modules: %d loaded, %d already present, %d failed", report.loaded,
              report.already_present, report.failed);
  }

  auto core = vmcore::VmcoreFile::open(paths.vmcore);
  if (!core) return fail(core.error().message);
  int64_t crash_time = 0;
  if (auto t = core->info().crash_time()) {
    crash_time = *t;
  } else {
    log::warn("%s; naming the dump by the current time", t.error().message.c_str());
    crash_time = static_cast<int64_t>(::time(nullptr));
  }
  auto release = core->info().os_release();
  log::info("vmcore: %llu MiB, %zu memory ranges, %d CPUs, kernel %s",
            static_cast<unsigned long long>(core->size() >> 20), core->layout().loads.size(),
            core->cpu_count(), release ? release->c_str() : "unknown");
  const std::string dir_name = crash_directory_name(record->host, crash_time);

  std::string failures;
  for (const auto& target : cfg->targets) {
    log::info("target %s (line %d)", target.text.c_str(), target.line);
    Result<std::string> saved = Error{"unsupported target"};
    if (const auto* disk = std::get_if<config::DiskTarget>(&target.where)) {
      saved = save_to_disk(target, *disk, *cfg, *core, dir_name, paths);
    }
    if (saved) return CaptureOutcome{true, *saved};
    log::error("target %s failed: %s", target.text.c_str(), saved.error().message.c_str());
    if (!failures.empty()) failures += "; ";
    failures += target.text + ": " + saved.error().message;
  }
  return fail("no target saved the dump: " + failures);
}

}  // namespace kdk::agent
