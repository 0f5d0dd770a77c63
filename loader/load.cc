#include "loader/load.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>

#include "config/config.h"
#include "config/key_value.h"
#include "initramfs/archive_compression.h"
#include "initramfs/capture_initramfs.h"
#include "loader/boot_cpu.h"
#include "loader/bzimage.h"
#include "loader/capture_cmdline.h"
#include "loader/config_check.h"
#include "loader/dump_history.h"
#include "loader/estimate.h"
#include "loader/initramfs_stamp.h"
#include "loader/kexec.h"
#include "loader/memory_ranges.h"
#include "loader/network_check.h"
#include "loader/target_check.h"
#include "loader/target_modules.h"
#include "targets/open_store.h"
#include "targets/raw_identity.h"
#include "util/fd.h"
#include "util/format.h"
#include "util/log.h"
#include "util/sha256.h"
#include "util/text.h"
#include "util/time_format.h"

namespace kdk::loader {

namespace {

constexpr const char* kCrashSizePath = "/sys/kernel/kexec_crash_size";
constexpr size_t kDumpsShown = 5;  // status: the latest dumps over all targets

std::string running_release() {
  struct utsname u {};
  ::uname(&u);
  return u.release;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == 0) return "localhost";
  return buf;
}

Result<unsigned long long> read_number_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text.error();
  unsigned long long v = 0;
  if (!parse_u64(trim(*text), v)) return Error{path + ": not a number: \"" + std::string(trim(*text)) + "\""};
  return v;
}

Status make_dir(const std::string& path) { return make_directories(path, 0700); }

// Writes via a temporary file and rename, so a reader never sees half a file.
Status replace_file(const std::string& path, const std::function<Status(int fd)>& fill) {
  std::string tmp = path + ".tmp";
  auto fd = open_fd(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (!fd) return fd.error();
  if (auto s = fill(fd->get()); !s) {
    ::unlink(tmp.c_str());
    return s;
  }
  if (::fsync(fd->get()) != 0) return Error::from_errno(errno, "fsync " + tmp);
  fd->reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Error::from_errno(errno, "rename " + tmp);
  return {};
}

struct ResolvedInitramfs {
  std::string release;
  std::string modules_dir;
};

ResolvedInitramfs resolve(const InitramfsOptions& o) {
  ResolvedInitramfs r;
  r.release = o.kernel_release.empty() ? running_release() : o.kernel_release;
  r.modules_dir = o.modules_dir.empty() ? "/lib/modules/" + r.release : o.modules_dir;
  return r;
}

std::string bullet_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += "\n  " + i;
  return out;
}

// Orders "SOURCE:LINE: ..." messages by line, so the file reads top to bottom.
void sort_by_line(std::vector<std::string>& messages, const std::string& source) {
  auto line_of = [&](const std::string& m) {
    unsigned long long n = 0;
    if (m.rfind(source + ":", 0) != 0) return ~0ULL;
    size_t end = m.find(':', source.size() + 1);
    if (end == std::string::npos ||
        !parse_u64(std::string_view(m).substr(source.size() + 1, end - source.size() - 1), n)) {
      return ~0ULL;
    }
    return n;
  };
  std::stable_sort(messages.begin(), messages.end(),
                   [&](const std::string& a, const std::string& b) { return line_of(a) < line_of(b); });
}

// The configuration and its targets as checked; `problems` are the targets'.
struct Checked {
  std::string text;
  config::Config config;
  std::vector<TargetCheck> checks;
  std::vector<std::string> problems;
  NetworkRecord network;  // how the capture kernel reaches the network targets
  // The largest peak RSS among the latest complete captures on the disk
  // targets (metadata.json), and where it was found; 0 when none.
  uint64_t capture_rss_kib = 0;
  std::string capture_rss_source;
};

// The interface, addresses and resolvers that reach the network targets; a
// problem (naming the first network target's line) when there is none.
void record_network(const std::string& config_path, Checked& out) {
  auto hosts = network_hosts(out.config);
  if (hosts.empty()) return;
  auto record = record_network_for(hosts);
  if (record) {
    out.network = *record;
    if (!record->interface.empty()) {
      std::string addrs;
      for (const auto& a : record->addresses) addrs += " " + a;
      log::info("network: the capture kernel will use %s (%s)%s", record->interface.c_str(),
                record->mac.c_str(), addrs.c_str());
    }
    return;
  }
  for (const auto& t : out.config.targets) {
    if (!std::holds_alternative<config::NetworkTarget>(t.where)) continue;
    out.problems.push_back(format("%s:%d: target %s: %s", config_path.c_str(), t.line, t.text.c_str(),
                                  record.error().message.c_str()));
    return;
  }
}

// Reads the configuration (refusing on any error, all of them listed) and
// checks every target.
Result<Checked> check_all(const std::string& config_path, CheckMode mode) {
  auto text = read_file(config_path);
  if (!text) return text.error();
  ConfigCheck cc = check_config(*text, config_path);
  Checked out;
  out.text = *text;
  std::vector<std::string> problems = cc.problems;
  if (cc.config) {
    out.config = *cc.config;
    TargetCheckOptions opt;
    opt.mode = mode;
    out.checks = check_targets(out.config, opt, [&](TargetCheck& c, const std::string& dir) {
      for (const auto& d : find_dumps(dir, kDumpsShown)) {
        if (d.complete && d.peak_rss_kib > out.capture_rss_kib) {
          out.capture_rss_kib = d.peak_rss_kib;
          out.capture_rss_source = "the capture of " + d.directory + " on " + c.target;
        }
      }
    });
    for (const auto& c : out.checks) {
      if (c.ok()) log::info("target %s: %s", c.target.c_str(), c.summary.c_str());
      for (const auto& w : c.warnings) log::warn("target %s: %s", c.target.c_str(), w.c_str());
    }
    out.problems = describe_problems(out.checks, config_path);
    record_network(config_path, out);
    problems.insert(problems.end(), out.problems.begin(), out.problems.end());
  }
  sort_by_line(problems, config_path);
  if (!cc.problems.empty()) {
    return Error{format("refusing to arm: %zu problem%s (configuration errors can't be forced: the capture "
                        "kernel reads the same file):",
                        problems.size(), problems.size() == 1 ? "" : "s") +
                 bullet_list(problems)};
  }
  return out;
}

initramfs::CaptureInitramfsInputs initramfs_inputs(const InitramfsOptions& o, const Checked& checked) {
  ResolvedInitramfs r = resolve(o);
  initramfs::CaptureInitramfsInputs in;
  in.binary_path = o.binary.empty() ? "/proc/self/exe" : o.binary;
  in.config_text = checked.text;
  in.host = host_name();
  in.kernel_release = r.release;
  in.modules_dir = r.modules_dir;
  in.modules = modules_for_targets(checked.config, checked.checks);
  for (const auto& m : network_modules(checked.config, checked.network)) {
    if (std::find(in.modules.begin(), in.modules.end(), m) == in.modules.end()) in.modules.push_back(m);
  }
  in.carried_files = targets::files_to_carry(checked.config);
  checked.network.apply_to(in.network);
  for (const auto& t : checked.config.targets) {
    // A raw device that cannot be read now was refused by the target check.
    if (const auto* raw = std::get_if<config::RawTarget>(&t.where)) {
      if (auto id = targets::read_raw_identity(raw->device)) in.raw_devices.push_back(*id);
    }
  }
  for (const auto& c : checked.checks) {
    for (const auto& d : c.dm_devices) {
      if (std::find(in.dm_devices.begin(), in.dm_devices.end(), d) == in.dm_devices.end())
        in.dm_devices.push_back(d);
    }
  }
  return in;
}

// The kdumpkit.KEY=VALUE words of `words` parsed as the capture kernel will
// parse them, on top of `config`; an error starts with `what`.
Status check_overrides(const config::Config& config, const std::string& words, const char* what) {
  config::Config effective = config;
  if (auto s = config::apply_command_line_overrides(effective, words); !s) {
    return Error{std::string(what) + ": " + s.error().message};
  }
  return {};
}

// The capture kernel's ability to unpack zstd decides the archive's form.
initramfs::CompressionChoice compression_for(const initramfs::CaptureInitramfsInputs& in) {
  return initramfs::choose_archive_compression(in.kernel_release, in.modules_dir);
}

// A compressed archive is written whole to memory first (a few MiB), then
// compressed into the file as one zstd frame.
Status write_archive(const initramfs::CaptureInitramfs& ird, const std::string& path,
                     const initramfs::CompressionChoice& choice) {
  if (choice.compression == initramfs::ArchiveCompression::kNone) {
    return replace_file(path, [&](int fd) { return ird.archive.write_to(fd, path); });
  }
  int raw = ::memfd_create("kdumpkit-initramfs", MFD_CLOEXEC);
  if (raw < 0) return Error::from_errno(errno, "memfd_create for " + path);
  UniqueFd cpio(raw);
  if (auto s = ird.archive.write_to(cpio.get(), path); !s) return s;
  if (::lseek(cpio.get(), 0, SEEK_SET) != 0) return Error::from_errno(errno, "lseek in the archive of " + path);
  return replace_file(path, [&](int fd) { return initramfs::zstd_compress_fd(cpio.get(), fd, path); });
}

std::string describe_size(const std::string& path, const initramfs::CompressionChoice& choice) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return format("%lld KiB, %s (%s)", static_cast<long long>(st.st_size / 1024),
                initramfs::name_of(choice.compression), choice.reason.c_str());
}

Result<std::string> stamp_of(const initramfs::CaptureInitramfsInputs& in,
                             const initramfs::CaptureInitramfs& ird, const initramfs::CompressionChoice& choice) {
  StampInputs s;
  s.kernel_release = in.kernel_release;
  s.config_text = in.config_text;
  s.binary_path = in.binary_path;
  for (const auto& m : ird.record.modules) s.module_paths.push_back(in.modules_dir + "/" + m);
  s.load_record = ird.record.serialize();
  s.carried_files = in.carried_files;
  s.compression = initramfs::name_of(choice.compression);
  return make_stamp(s);
}

// Builds the image at `path` unless its stamp says the inputs are unchanged.
Status ensure_initramfs(const initramfs::CaptureInitramfsInputs& in, const std::string& path) {
  auto ird = initramfs::build_capture_initramfs(in);
  if (!ird) return ird.error();
  const initramfs::CompressionChoice choice = compression_for(in);
  auto stamp = stamp_of(in, *ird, choice);
  if (!stamp) return stamp.error();
  const std::string stamp_path = path + ".stamp";
  std::vector<std::string> changed = {"no image"};
  if (path_exists(path)) {
    auto old = read_file(stamp_path);
    changed = stamp_changes(old ? *old : std::string(), *stamp);
  }
  if (changed.empty()) {
    log::info("initramfs up to date: %s", path.c_str());
    return {};
  }
  std::string what;
  for (const auto& c : changed) what += (what.empty() ? "" : ", ") + c;
  log::info("rebuilding: %s", what.c_str());
  ::unlink(stamp_path.c_str());
  if (auto s = write_archive(*ird, path, choice); !s) return s;
  if (auto s = replace_file(stamp_path,
                            [&](int fd) { return write_all(fd, stamp->data(), stamp->size(), stamp_path); });
      !s) {
    return s;
  }
  log::info("capture initramfs %s: %s, %zu modules", path.c_str(), describe_size(path, choice).c_str(),
            ird->record.modules.size());
  return {};
}

std::string initramfs_path_for(const std::string& state_dir, const std::string& release) {
  return state_dir + "/initramfs-" + release + ".img";
}

// The figures `estimate` and `nr_cpus = auto` are computed from.
Result<EstimateInputs> estimate_inputs(const Checked& checked, const std::string& kernel,
                                       const std::string& release, const std::string& initramfs) {
  EstimateInputs in;
  if (release == running_release()) {
    auto iomem = read_file("/proc/iomem");
    if (!iomem) return iomem.error();
    auto k = kernel_footprint_from_iomem(*iomem);
    if (!k) return k.error();
    in.kernel = *k;
  } else {
    auto bytes = read_file(kernel);
    if (!bytes) return bytes.error();
    std::vector<uint8_t> b(bytes->begin(), bytes->end());
    auto z = parse_bzimage(b, kernel);
    if (!z) return z.error();
    in.kernel = kernel_footprint_from_init_size(z->init_size, kernel);
  }
  auto archive = read_file(initramfs);
  if (!archive) return archive.error();
  std::string cpio;
  const bool compressed = initramfs::is_zstd(*archive);
  if (compressed) {
    auto unpacked = initramfs::zstd_decompress_archive(*archive, uint64_t{4} << 30, initramfs);
    if (!unpacked) return unpacked.error();
    cpio = std::move(*unpacked);
  }
  const std::string& plain = compressed ? cpio : *archive;
  auto rd = summarize_cpio(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(plain.data()), plain.size()));
  if (!rd) return rd.error().within(initramfs);
  if (compressed) {
    rd->archive_bytes = archive->size();
    rd->unpack_workspace_bytes = initramfs::kZstdUnpackWorkspaceBytes;
  }
  in.initramfs = *rd;
  in.initramfs_source = initramfs;
  in.capture_rss_kib = checked.capture_rss_kib;
  in.rss_source = checked.capture_rss_source;
  in.memory_budget_kib = static_cast<uint64_t>(checked.config.memory_budget_mib) << 10;
  if (auto text = read_file("/proc/iomem")) {
    if (auto iomem = parse_iomem(*text)) {
      for (const auto& r : outermost(*iomem, "System RAM")) in.ram_bytes += r.size();
    }
  }
  return in;
}

unsigned online_cpus() {
  long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<unsigned>(n) : 1;
}

// nr_cpus for the capture kernel: the configuration's, or (auto) what the
// reservation affords.
unsigned capture_cpus(const Checked& checked, const std::string& kernel, const std::string& release,
                      const std::string& initramfs, uint64_t reserved) {
  if (checked.config.nr_cpus > 0) return static_cast<unsigned>(checked.config.nr_cpus);
  auto in = estimate_inputs(checked, kernel, release, initramfs);
  if (!in) {
    log::warn("nr_cpus = auto: %s; the capture kernel gets one CPU", in.error().message.c_str());
    return 1;
  }
  unsigned online = online_cpus();
  unsigned n = affordable_cpus(*in, reserved, online);
  in->nr_cpus = n;
  log::info(
      "nr_cpus = auto: %u (%u online; crashkernel=%lluM, %lluM estimated for %u; nr_cpus = 1 in the "
      "configuration keeps one)",
      n, online, static_cast<unsigned long long>(reserved >> 20),
      static_cast<unsigned long long>(estimate_crashkernel(*in).crashkernel_mib), n);
  return n;
}

}  // namespace

Status build_initramfs_file(const InitramfsOptions& o) {
  if (o.output.empty()) return Error{"initramfs: an output file is required (-o FILE)"};
  auto checked = check_all(o.config_path, CheckMode::kReadOnly);
  if (!checked) return checked.error();
  if (!checked->problems.empty()) {
    return Error{"refusing to continue, a target is not usable:" + bullet_list(checked->problems)};
  }
  const initramfs::CaptureInitramfsInputs in = initramfs_inputs(o, *checked);
  auto ird = initramfs::build_capture_initramfs(in);
  if (!ird) return ird.error();
  const initramfs::CompressionChoice choice = compression_for(in);
  if (auto s = write_archive(*ird, o.output, choice); !s) return s;
  log::info("wrote %s: %s, %zu modules", o.output.c_str(), describe_size(o.output, choice).c_str(),
            ird->record.modules.size());
  return {};
}

Status load(const LoadOptions& o) {
  if (::geteuid() != 0) return Error{"load must run as root (it calls kexec_file_load or kexec_load)"};
  auto checked = check_all(o.initramfs.config_path, CheckMode::kWrite);
  if (!checked) return checked.error();
  if (!checked->problems.empty()) {
    if (!o.force) {
      return Error{format("refusing to arm: %zu problem%s (--force arms anyway):", checked->problems.size(),
                          checked->problems.size() == 1 ? "" : "s") +
                   bullet_list(checked->problems)};
    }
    for (const auto& p : checked->problems) log::warn("--force: arming despite: %s", p.c_str());
  }
  // The overrides the configuration and the caller add, checked before
  // anything is built (the whole command line is checked again below).
  if (auto s = check_overrides(checked->config, checked->config.capture_args + " " + o.append,
                               "refusing to arm: bad kdumpkit overrides in capture_args or --append");
      !s) {
    return s;
  }

  auto reserved = read_number_file(kCrashSizePath);
  if (!reserved) {
    if (reserved.error().errno_value == ENOENT) {
      return Error{"this kernel cannot load a crash kernel (" + std::string(kCrashSizePath) +
                   " does not exist): boot a kernel built with kexec support (CONFIG_KEXEC_FILE or "
                   "CONFIG_KEXEC, and CONFIG_CRASH_DUMP) and crashkernel=256M on its command line"};
    }
    return reserved.error();
  }
  if (*reserved == 0) {
    return Error{"no memory is reserved for a crash kernel (" + std::string(kCrashSizePath) +
                 " is 0): add crashkernel=256M to the kernel command line and reboot"};
  }
  ResolvedInitramfs r = resolve(o.initramfs);
  std::string kernel = o.kernel.empty() ? "/boot/vmlinuz-" + r.release : o.kernel;
  if (!path_exists(kernel)) {
    return Error{"kernel image " + kernel + " not found (give one with --kernel)"};
  }

  std::string initramfs_path = o.prebuilt_initramfs;
  if (initramfs_path.empty()) {
    if (auto s = make_dir(o.state_dir); !s) return s;
    initramfs_path = initramfs_path_for(o.state_dir, r.release);
    if (auto s = ensure_initramfs(initramfs_inputs(o.initramfs, *checked), initramfs_path); !s) return s;
  }

  std::string cmdline = o.command_line;
  if (cmdline.empty()) {
    auto running = read_file("/proc/cmdline");
    if (!running) return running.error();
    unsigned cpus = capture_cpus(*checked, kernel, r.release, initramfs_path, *reserved);
    // With more than one CPU the capture kernel must not send INIT to the
    // boot CPU (loader/boot_cpu.h); capture_args and --append may override.
    std::string cpu_words;
    if (cpus > 1) {
      auto info = read_file("/proc/cpuinfo");
      if (auto id = info ? boot_cpu_apicid(*info) : std::nullopt) {
        cpu_words = "disable_cpu_apicid=" + std::to_string(*id) + " ";
      }
    }
    cmdline = capture_cmdline(*running, cpu_words + checked->config.capture_args + " " + o.append,
                              static_cast<int>(cpus));
  }
  // The capture applies kdumpkit.KEY=VALUE words of this line on top of the
  // file (capture_args, --append, or the running kernel's own): a bad one is
  // refused now, not found after a panic.
  if (auto s = check_overrides(checked->config, cmdline,
                               "the capture command line has bad kdumpkit overrides (from capture_args, "
                               "--append or /proc/cmdline)");
      !s) {
    return s;
  }
  if (!o.unchecked_append_for_test.empty()) {
    log::warn("test switch kdumpkit_test.unchecked_append: \"%s\" added to the capture command line unchecked",
              o.unchecked_append_for_test.c_str());
    cmdline += " " + o.unchecked_append_for_test;
  }
  KernelLoad k;
  k.kind = ImageKind::kCrash;
  k.kernel = kernel;
  k.initrd = initramfs_path;
  k.cmdline = cmdline;
  k.choice = o.syscall;
  k.wrong_digest_for_test = o.wrong_digest_for_test;
  auto used = load_kernel(k);
  if (!used) return used.error();

  if (auto s = make_dir(o.state_dir); !s) return s;
  std::string state = format(
      "kernel = %s\ninitramfs = %s\ncommand_line = %s\nsyscall = %s\nloaded_at = %lld\n", kernel.c_str(),
      initramfs_path.c_str(), cmdline.c_str(), syscall_name(*used), static_cast<long long>(::time(nullptr)));
  if (auto s = write_file(o.state_dir + "/loaded.conf", state, 0600); !s) {
    log::warn("could not record the loaded state: %s", s.error().message.c_str());
  }
  log::info("capture kernel loaded with %s%s: %s", syscall_name(*used),
            *used == Syscall::kLoad ? " (kdumpkit's purgatory)" : "", kernel.c_str());
  log::info("capture command line: %s", cmdline.c_str());
  return {};
}

Status estimate(const EstimateOptions& o) {
  auto checked = check_all(o.initramfs.config_path, CheckMode::kReadOnly);
  if (!checked) return checked.error();
  for (const auto& p : checked->problems) log::warn("%s (the estimate goes on)", p.c_str());
  ResolvedInitramfs r = resolve(o.initramfs);
  std::string kernel = o.kernel.empty() ? "/boot/vmlinuz-" + r.release : o.kernel;
  if (!path_exists(kernel) && r.release != running_release()) {
    return Error{"kernel image " + kernel + " not found (give one with --kernel)"};
  }
  std::string initramfs = o.prebuilt_initramfs;
  std::string temp;
  if (initramfs.empty()) {
    char tmpl[] = "/tmp/kdumpkit-estimate-XXXXXX";
    int fd = ::mkstemp(tmpl);
    if (fd < 0) return Error::from_errno(errno, "mkstemp /tmp");
    ::close(fd);
    temp = initramfs = tmpl;
    const initramfs::CaptureInitramfsInputs rd_in = initramfs_inputs(o.initramfs, *checked);
    auto ird = initramfs::build_capture_initramfs(rd_in);
    if (!ird) {
      ::unlink(temp.c_str());
      return ird.error();
    }
    if (auto s = write_archive(*ird, temp, compression_for(rd_in)); !s) {
      ::unlink(temp.c_str());
      return s;
    }
  }
  auto in = estimate_inputs(*checked, kernel, r.release, initramfs);
  if (!temp.empty()) ::unlink(temp.c_str());
  if (!in) return in.error();
  if (!temp.empty()) in->initramfs_source = "the capture initramfs for this configuration";

  uint64_t reserved = 0;
  if (auto v = read_number_file(kCrashSizePath)) reserved = *v;
  unsigned online = online_cpus();
  unsigned cpus =
      o.nr_cpus > 0 ? static_cast<unsigned>(o.nr_cpus) : static_cast<unsigned>(checked->config.nr_cpus);
  bool automatic = cpus == 0;
  if (automatic) {
    // What the reservation affords; with none, the recommendation is for two CPUs when there are two.
    cpus = reserved ? affordable_cpus(*in, reserved, online) : std::min(online, 2u);
  }
  in->nr_cpus = cpus;
  Estimate e = estimate_crashkernel(*in);
  std::fputs(describe_estimate(e, *in, reserved).c_str(), stdout);
  if (automatic) {
    std::printf("nr_cpus: auto gives %u (%u online%s); nr_cpus = 1 in the configuration keeps one\n", cpus,
                online, reserved ? ", what the reservation affords" : "");
  }
  if (cpus < 2 && online >= 2) {
    EstimateInputs two = *in;
    two.nr_cpus = 2;
    std::printf("with 2 CPUs (dumps 1.6-2.2x faster): crashkernel=%lluM\n",
                static_cast<unsigned long long>(estimate_crashkernel(two).crashkernel_mib));
  }
  uint64_t kdumpctl = (in->kernel.span_bytes + in->initramfs.module_bytes + 3 * in->initramfs.archive_bytes +
                       (16ULL << 20) + (1 << 20) - 1) >>
                      20;
  std::printf("(kdump-utils' formula on the same figures: kernel + modules + 3 x initramfs + 16M = %lluM)\n",
              static_cast<unsigned long long>(kdumpctl));
  return {};
}

Status unload(const std::string& state_dir) {
  if (::geteuid() != 0) return Error{"unload must run as root"};
  if (auto s = unload_kernel(ImageKind::kCrash); !s) return s;
  ::unlink((state_dir + "/loaded.conf").c_str());
  log::info("capture kernel unloaded");
  return {};
}

namespace {

std::string utc_time(time_t t) { return format_utc(static_cast<int64_t>(t), "%Y-%m-%d %H:%M:%S UTC"); }

// Prints loaded.conf; returns the initramfs it names ("" when none).
std::string print_load_record(const std::string& state_dir) {
  std::string initramfs;
  auto state = read_file(state_dir + "/loaded.conf");
  if (!state) return initramfs;
  auto kvs = config::parse_key_values(*state, state_dir + "/loaded.conf");
  if (!kvs) return initramfs;
  for (const auto& kv : *kvs) {
    if (kv.key == "loaded_at") {
      std::printf("loaded at: %s\n", utc_time(static_cast<time_t>(std::atoll(kv.value.c_str()))).c_str());
      continue;
    }
    if (kv.key == "initramfs") initramfs = kv.value;
    std::string key = kv.key;
    for (char& c : key) {
      if (c == '_') c = ' ';
    }
    std::printf("%s: %s\n", key.c_str(), kv.value.c_str());
  }
  return initramfs;
}

// Whether the configuration changed since `initramfs` was built: by the
// config digest in its stamp when it has one (load may keep an image whose
// inputs are unchanged), else by modification time.
std::optional<std::string> config_newer_than(const std::string& config_path, const std::string& initramfs) {
  const std::string stale = "the configuration " + config_path + " changed after the loaded initramfs " +
                            initramfs + " was built: run kdumpkit load again";
  auto stamp = read_file(initramfs + ".stamp");
  auto text = read_file(config_path);
  if (stamp && text) {
    auto kvs = config::parse_key_values(*stamp, initramfs + ".stamp");
    if (kvs) {
      for (const auto& kv : *kvs) {
        if (kv.key == "config") {
          if (kv.value == sha256_hex(text->data(), text->size())) return std::nullopt;
          return stale;
        }
      }
    }
  }
  struct stat config_st {};
  struct stat image_st {};
  if (::stat(config_path.c_str(), &config_st) == 0 && ::stat(initramfs.c_str(), &image_st) == 0 &&
      config_st.st_mtime > image_st.st_mtime) {
    return stale;
  }
  return std::nullopt;
}

}  // namespace

Result<bool> status(const StatusOptions& o) {
  std::vector<std::string> warnings;
  auto reserved = read_number_file(o.sys_kernel + "/kexec_crash_size");
  auto loaded_file = read_number_file(o.sys_kernel + "/kexec_crash_loaded");
  Result<unsigned long long> loaded = loaded_file ? *loaded_file : 0ULL;
  std::printf("crash memory reserved: %s\n",
              reserved ? format("%llu MiB", *reserved >> 20).c_str() : reserved.error().message.c_str());
  std::printf("capture kernel loaded: %s\n", *loaded ? "yes" : loaded_file ? "no" : "unknown");
  if (!loaded_file)
    warnings.push_back("this kernel can't load a crash kernel: " + loaded_file.error().message);
  if (reserved && *reserved == 0) {
    warnings.push_back(
        "no crash memory is reserved: add crashkernel=256M to the kernel command line and reboot");
  }
  if (!*loaded)
    warnings.push_back("no capture kernel is loaded: a crash now saves nothing (run kdumpkit load)");

  std::string initramfs;
  if (*loaded) {
    if (path_exists(o.state_dir + "/loaded.conf")) {
      initramfs = print_load_record(o.state_dir);
    } else {
      std::printf("(loaded by another tool: no kdumpkit record in %s)\n", o.state_dir.c_str());
    }
  }

  auto oops = read_number_file(o.proc_sys + "/kernel/panic_on_oops");
  if (oops && *oops == 0) {
    warnings.push_back(
        "kernel.panic_on_oops is 0: an oops does not panic, so it produces no dump "
        "(sysctl kernel.panic_on_oops=1)");
  }

  if (*loaded && !initramfs.empty()) {
    if (auto stale = config_newer_than(o.config_path, initramfs)) warnings.push_back(*stale);
  }

  // The targets, checked without writing; and the dumps already on them.
  auto text = read_file(o.config_path);
  if (!text) {
    warnings.push_back(text.error().message);
  } else {
    ConfigCheck cc = check_config(*text, o.config_path);
    for (const auto& p : cc.problems) warnings.push_back(p);
    if (cc.config) {
      TargetCheckOptions opt;
      opt.mode = CheckMode::kReadOnly;
      std::vector<std::pair<DumpSummary, std::string>> dumps;  // with the target's text
      auto checks = check_targets(*cc.config, opt, [&](TargetCheck& c, const std::string& dir) {
        for (auto& d : find_dumps(dir, kDumpsShown)) dumps.emplace_back(std::move(d), c.target);
      });
      std::stable_sort(dumps.begin(), dumps.end(),
                       [](const auto& a, const auto& b) { return a.first.crash_time > b.first.crash_time; });
      if (dumps.size() > kDumpsShown) dumps.resize(kDumpsShown);
      std::vector<std::string> dump_lines;
      for (const auto& [d, t] : dumps) dump_lines.push_back(describe_dump(d) + " (on " + t + ")");
      for (const auto& c : checks) {
        std::printf("target %s (line %d): %s\n", c.target.c_str(), c.line,
                    c.ok() ? c.summary.c_str() : "NOT USABLE");
      }
      for (const auto& p : describe_problems(checks, o.config_path)) warnings.push_back(p);
      for (const auto& c : checks) {
        for (const auto& w : c.warnings) warnings.push_back("target " + c.target + ": " + w);
      }
      if (!dump_lines.empty()) {
        std::printf("latest dumps:\n");
        for (const auto& l : dump_lines) std::printf("  %s\n", l.c_str());
      }
    }
  }
  for (const auto& w : warnings) std::printf("warning: %s\n", w.c_str());
  return *loaded != 0;
}

}  // namespace kdk::loader
