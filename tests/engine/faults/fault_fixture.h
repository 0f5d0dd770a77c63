// Test helpers for the corrupted-vmcore tests: damaged copies of a fixture
// vmcore, the crashed kernel's addresses as file offsets in such a copy, and
// engine runs in a child process under a hard timeout (a crash or a hang in
// the engine fails the test instead of taking the test runner down).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/arch/kernel_memory_factory.h"
#include "engine/dmesg/vmcore_dmesg.h"
#include "engine/dump/dump.h"
#include "engine/vmcore/physical_memory.h"
#include "engine/vmcore/vmcore_file.h"
#include "tests/engine/dump/kdump_file.h"
#include "tests/lib/test_env.h"
#include "util/fd.h"

namespace kdk::faults {

// The idle fixture and makedumpfile's views of it (tests/oracle/README.md);
// empty when the oracle environment is not set (a plain unit_tests run).
struct Fixture {
  std::string vmcore;
  std::string mdf_dir;  // d31.kdump, d1.dumped, ...
};

inline std::optional<Fixture> idle_fixture() {
  const char* v = getenv("KDK_FIXTURE_VMCORE");
  const char* d = getenv("KDK_FIXTURE_DIR");
  if (!v || !*v || !d || !*d || !path_exists(v) || !path_exists(std::string(d) + "/idle.mdf/d31.kdump")) {
    test::skip(
        "KDK_FIXTURE_VMCORE / KDK_FIXTURE_DIR unset: the corrupted-vmcore tests run in the oracle entry");
  }
  return Fixture{v, std::string(d) + "/idle.mdf"};
}

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/kdk-faults-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { (void)!system(("rm -rf " + path).c_str()); }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

inline int shell(const std::string& cmd) {
  int rc = system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// A copy of a vmcore to damage: a reflink where the file system can, a
// plain copy (< 1 s for the 1 GiB fixture) elsewhere.
inline std::string copy_vmcore(const std::string& src, const TempDir& dir) {
  std::string dst = dir.file("damaged.vmcore");
  REQUIRE(shell("cp --reflink=auto --sparse=always '" + src + "' '" + dst + "'") == 0);
  return dst;
}

inline void overwrite(const std::string& path, uint64_t offset, const void* data, size_t len) {
  int fd = ::open(path.c_str(), O_WRONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::pwrite(fd, data, len, static_cast<off_t>(offset)) == static_cast<ssize_t>(len));
  ::close(fd);
}

template <class T>
T read_at(const std::string& path, uint64_t offset) {
  T v{};
  int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::pread(fd, &v, sizeof v, static_cast<off_t>(offset)) == static_cast<ssize_t>(sizeof v));
  ::close(fd);
  return v;
}

// Where physical address `phys` is in the vmcore file: every copy (the
// kernel image's PT_LOAD repeats part of RAM's).
inline std::vector<uint64_t> file_offsets(const vmcore::VmcoreFile& core, uint64_t phys) {
  std::vector<uint64_t> out;
  for (const auto& s : core.layout().loads) {
    if (phys >= s.phys_addr && phys - s.phys_addr < s.file_size)
      out.push_back(s.file_offset + (phys - s.phys_addr));
  }
  if (out.empty()) FAIL("physical address " << std::hex << phys << " is not in the vmcore file");
  return out;
}
inline uint64_t file_offset(const vmcore::VmcoreFile& core, uint64_t phys) {
  auto all = file_offsets(core, phys);
  INFO("physical address 0x" << std::hex << phys << " is not in the vmcore file");
  REQUIRE(!all.empty());
  return all[0];
}

// The largest PT_LOAD of the fixture: where its RAM is, wherever this boot's
// kernel put the crashkernel reservation (a hole in the vmcore) and itself.
inline vmcore::LoadSegment largest_load(const vmcore::VmcoreFile& core) {
  vmcore::LoadSegment best;
  for (const auto& s : core.layout().loads)
    if (s.file_size > best.file_size) best = s;
  REQUIRE(best.file_size > (64ULL << 20));
  return best;
}

// A pfn in the largest PT_LOAD at `fraction` of its length, rounded down to
// a multiple of `align` pfns, with `span` pfns after it still inside.
inline uint64_t pfn_inside_largest_load(const vmcore::VmcoreFile& core, double fraction, uint64_t align,
                                        uint64_t span) {
  auto s = largest_load(core);
  uint64_t first = (s.phys_addr + 4095) / 4096, end = (s.phys_addr + s.file_size) / 4096;
  uint64_t pfn = first + static_cast<uint64_t>(static_cast<double>(end - first) * fraction);
  pfn = pfn / align * align;
  if (pfn < first) pfn += align;
  REQUIRE(pfn + span <= end);
  return pfn;
}

// Writes `len` bytes (inside one page) at physical address `phys`, in every copy.
inline void overwrite_phys(const std::string& path, const vmcore::VmcoreFile& core, uint64_t phys,
                           const void* data, size_t len) {
  for (uint64_t off : file_offsets(core, phys)) overwrite(path, off, data, len);
}

// The undamaged fixture, opened with the product's translator: to find
// where the kernel keeps what a test damages.
struct Model {
  vmcore::VmcoreFile core;
  std::unique_ptr<vmcore::PhysicalMemory> phys;
  std::unique_ptr<kernel::KernelMemory> mem;

  static Model open(const std::string& path) {
    auto core = vmcore::VmcoreFile::open(path);
    REQUIRE(core.ok());
    Model m{std::move(*core), nullptr, nullptr};
    auto phys = vmcore::PhysicalMemory::create(m.core, 4096);
    REQUIRE(phys.ok());
    m.phys = std::make_unique<vmcore::PhysicalMemory>(std::move(*phys));
    auto mem = arch::make_kernel_memory(m.core, *m.phys);
    REQUIRE(mem.ok());
    m.mem = std::move(*mem);
    return m;
  }
  uint64_t phys_of_virt(uint64_t vaddr) {
    auto pa = mem->virt_to_phys(vaddr);
    INFO((pa.ok() ? std::string() : pa.error().message));
    REQUIRE(pa.ok());
    return *pa;
  }
  // Writes `len` bytes (inside one page) at kernel address `vaddr` of `path`.
  void overwrite_virt(const std::string& path, uint64_t vaddr, const void* data, size_t len) {
    overwrite_phys(path, core, phys_of_virt(vaddr), data, len);
  }
};

// What a run in the child process did.
struct ChildRun {
  bool finished = false;  // exited before the timeout
  int exit_code = -1;     // when it exited
  int signal = 0;         // when a signal killed it
  double seconds = 0;
  std::string report;  // what the child wrote
};

// Runs `body` in a child process; it writes its report to the given path
// and returns its exit code. Killed after `timeout_s`.
inline ChildRun run_child(const std::function<int(const std::string& report)>& body, int timeout_s,
                          const TempDir& dir) {
  std::string report = dir.file("child.report");
  ::unlink(report.c_str());
  std::fflush(nullptr);
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    alarm(static_cast<unsigned>(timeout_s) + 5);  // in case the parent is gone
    int rc = body(report);
    std::fflush(nullptr);
    _exit(rc);
  }
  ChildRun r;
  int status = 0;
  for (;;) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    REQUIRE(w >= 0);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (w == pid) {
      r.finished = true;
      break;
    }
    if (r.seconds > timeout_s) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (r.finished && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  std::ifstream in(report);
  std::stringstream ss;
  ss << in.rdbuf();
  r.report = ss.str();
  return r;
}

// `kdumpkit dump` as the capture sequence calls it (dump_vmcore to a file),
// in a child. The report: "error MESSAGE" or "ok", then "damage START END
// WHAT" per recorded damage.
struct DumpRun {
  ChildRun child;
  bool ok = false;
  std::string error;
  std::vector<dump::Damage> damage;
  std::string output;

  std::string describe() const {
    std::ostringstream o;
    o << "finished " << child.finished << " exit " << child.exit_code << " signal " << child.signal << " in "
      << child.seconds << " s\n"
      << child.report;
    return o.str();
  }
  bool damaged(uint64_t pfn) const {
    for (const auto& d : damage)
      if (pfn >= d.start_pfn && pfn < d.end_pfn) return true;
    return false;
  }
};

inline DumpRun run_dump_child(const std::string& vmcore, const TempDir& dir, int level = 31,
                              dump::DumpFormat format = dump::DumpFormat::kdump, int timeout_s = 60) {
  DumpRun run;
  run.output = dir.file(format == dump::DumpFormat::elf ? "out.elf" : "out.kdump");
  run.child = run_child(
      [&](const std::string& report) {
        FILE* f = std::fopen(report.c_str(), "w");
        if (!f) return 3;
        auto core = vmcore::VmcoreFile::open(vmcore);
        if (!core) {
          std::fprintf(f, "error %s\n", core.error().message.c_str());
          std::fclose(f);
          return 1;
        }
        dump::DumpOptions o;
        o.input = vmcore;
        o.output = run.output;
        o.dump_level = level;
        o.format = format;
        o.threads = 2;
        o.quiet = true;
        auto fd = open_fd(run.output, O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (!fd) return 3;
        dump::FileSink sink(fd->get(), run.output);
        auto stats = dump::dump_vmcore(*core, o, sink);
        if (!stats) {
          std::fprintf(f, "error %s\n", stats.error().message.c_str());
          std::fclose(f);
          return 1;
        }
        std::fprintf(f, "ok\n");
        for (const auto& d : stats->damage) {
          std::fprintf(f, "damage %llu %llu %s\n", static_cast<unsigned long long>(d.start_pfn),
                       static_cast<unsigned long long>(d.end_pfn), d.what.c_str());
        }
        std::fclose(f);
        return 0;
      },
      timeout_s, dir);
  std::istringstream in(run.child.report);
  std::string line;
  while (std::getline(in, line)) {
    if (line == "ok") run.ok = true;
    if (line.rfind("error ", 0) == 0) run.error = line.substr(6);
    if (line.rfind("damage ", 0) == 0) {
      std::istringstream l(line.substr(7));
      dump::Damage d;
      unsigned long long a = 0, b = 0;
      l >> a >> b;
      d.start_pfn = a;
      d.end_pfn = b;
      std::getline(l, d.what);
      run.damage.push_back(d);
    }
  }
  return run;
}

// A damage to apply to a copy of a vmcore: bytes to write at file offsets,
// and optionally a length to cut the file to.
struct Patch {
  uint64_t offset = 0;
  std::vector<uint8_t> bytes;
};
struct FileDamage {
  std::vector<Patch> patches;
  std::optional<uint64_t> truncate_to;

  void write(uint64_t offset, const void* data, size_t len) {
    const auto* p = static_cast<const uint8_t*>(data);
    patches.push_back({offset, std::vector<uint8_t>(p, p + len)});
  }
  template <class T>
  void write_value(uint64_t offset, T v) {
    write(offset, &v, sizeof v);
  }
  // At physical address `phys` (inside one page), in every copy the file has.
  void write_phys(const vmcore::VmcoreFile& core, uint64_t phys, const void* data, size_t len) {
    for (uint64_t off : file_offsets(core, phys)) write(off, data, len);
  }
};

// One copy of a fixture that many damages take turns on: each is applied,
// then undone from the original's bytes (a cut file gets its tail back by
// copy_file_range), so a corpus of many cases costs one copy.
class ReusableCopy {
 public:
  ReusableCopy(std::string original, const TempDir& dir)
      : original_(std::move(original)), path_(copy_vmcore(original_, dir)) {
    size_ = read_file_size(original_);
  }
  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }

  void apply(const FileDamage& d) {
    applied_ = d;
    for (const auto& p : d.patches) overwrite(path_, p.offset, p.bytes.data(), p.bytes.size());
    if (d.truncate_to) REQUIRE(::truncate(path_.c_str(), static_cast<off_t>(*d.truncate_to)) == 0);
  }
  // Undoes the last apply(): the copy is the original again.
  void restore() {
    if (applied_.truncate_to && *applied_.truncate_to < size_) copy_range(*applied_.truncate_to, size_);
    REQUIRE(::truncate(path_.c_str(), static_cast<off_t>(size_)) == 0);
    for (const auto& p : applied_.patches) {
      if (p.offset >= size_) continue;
      copy_range(p.offset, std::min<uint64_t>(size_, p.offset + p.bytes.size()));
    }
    applied_ = {};
  }

 private:
  static uint64_t read_file_size(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return static_cast<uint64_t>(st.st_size);
  }
  void copy_range(uint64_t from, uint64_t to) {
    int in = ::open(original_.c_str(), O_RDONLY);
    int out = ::open(path_.c_str(), O_WRONLY);
    REQUIRE(in >= 0);
    REQUIRE(out >= 0);
    std::vector<uint8_t> buf(1 << 20);
    for (uint64_t at = from; at < to;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), to - at));
      REQUIRE(::pread(in, buf.data(), n, static_cast<off_t>(at)) == static_cast<ssize_t>(n));
      REQUIRE(::pwrite(out, buf.data(), n, static_cast<off_t>(at)) == static_cast<ssize_t>(n));
      at += n;
    }
    ::close(in);
    ::close(out);
  }

  std::string original_;
  std::string path_;
  uint64_t size_ = 0;
  FileDamage applied_;
};

// The kernel log reader (what the capture writes first) in a child: the
// report is "error MESSAGE" or "records N" and "damage SUMMARY".
struct LogRun {
  ChildRun child;
  bool ok = false;
  std::string error;
  size_t records = 0;
  std::string damage;  // the damage summary; empty when intact
};

inline LogRun run_log_child(const std::string& vmcore, const TempDir& dir, int timeout_s = 60) {
  LogRun run;
  run.child = run_child(
      [&](const std::string& report) {
        auto r = dmesg::read_vmcore_kernel_log(vmcore);
        FILE* f = std::fopen(report.c_str(), "w");
        if (!f) return 3;
        if (!r) {
          std::fprintf(f, "error %s\n", r.error().message.c_str());
        } else {
          std::fprintf(f, "records %zu\ndamage %s\n", r->records(), r->damage_summary().c_str());
        }
        std::fclose(f);
        return r.ok() ? 0 : 1;
      },
      timeout_s, dir);
  std::istringstream in(run.child.report);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("error ", 0) == 0) run.error = line.substr(6);
    if (line.rfind("records ", 0) == 0) {
      run.ok = true;
      run.records = std::stoull(line.substr(8));
    }
    if (line.rfind("damage ", 0) == 0) run.damage = line.substr(7);
  }
  return run;
}

// pfns where bitmap2 of `ours` and of `theirs` differ, except those that
// `skip` accepts; at most `limit` of them.
inline std::vector<uint64_t> bitmap2_differences(const std::string& ours, const std::string& theirs,
                                                 const std::function<bool(uint64_t)>& skip, size_t limit = 16,
                                                 uint64_t* total = nullptr) {
  auto a = dump::KdumpFile::open(ours);
  auto b = dump::KdumpFile::open(theirs);
  INFO((a.ok() ? std::string() : a.error().message));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  std::vector<uint64_t> out;
  uint64_t n = 0;
  uint64_t end = std::max(a->max_mapnr(), b->max_mapnr());
  for (uint64_t pfn = 0; pfn < end; ++pfn) {
    if (a->in_bitmap2(pfn) == b->in_bitmap2(pfn) || skip(pfn)) continue;
    ++n;
    if (out.size() < limit) out.push_back(pfn);
  }
  if (total) *total = n;
  return out;
}

// makedumpfile's pfn ranges file (d<N>.dumped: "first-last" in hex, inclusive).
inline std::vector<std::pair<uint64_t, uint64_t>> read_ranges(const std::string& path) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto dash = line.find('-');
    uint64_t a = std::stoull(line.substr(0, dash), nullptr, 16);
    uint64_t b = dash == std::string::npos ? a : std::stoull(line.substr(dash + 1), nullptr, 16);
    out.push_back({a, b});
  }
  return out;
}

}  // namespace kdk::faults
