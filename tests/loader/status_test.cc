// `status` on a fabricated /sys/kernel and /proc/sys: the warnings about
// what would make a crash produce no dump.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>

#include "loader/load.h"
#include "util/fd.h"
#include "util/sha256.h"

using namespace kdk;

namespace {

struct Sandbox {
  std::string dir;
  Sandbox() {
    char tmpl[] = "/tmp/kdk-status-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    REQUIRE(make_directories(dir + "/sys").ok());
    REQUIRE(make_directories(dir + "/proc/kernel").ok());
    REQUIRE(make_directories(dir + "/state").ok());
  }
  ~Sandbox() { std::system(("rm -rf " + dir).c_str()); }
  void put(const std::string& rel, const std::string& text) {
    REQUIRE(write_file(dir + "/" + rel, text).ok());
  }
  loader::StatusOptions options() const {
    loader::StatusOptions o;
    o.config_path = dir + "/kdumpkit.conf";
    o.state_dir = dir + "/state";
    o.proc_sys = dir + "/proc";
    o.sys_kernel = dir + "/sys";
    return o;
  }
};

// Runs status with stdout captured.
std::string status_output(const loader::StatusOptions& o, bool& loaded) {
  std::fflush(stdout);
  std::string path = o.state_dir + "/../stdout.txt";
  int saved = ::dup(1);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::dup2(fd, 1);
  ::close(fd);
  auto r = loader::status(o);
  std::fflush(stdout);
  ::dup2(saved, 1);
  ::close(saved);
  REQUIRE(r.ok());
  loaded = *r;
  auto text = read_file(path);
  REQUIRE(text.ok());
  return *text;
}

}  // namespace

TEST_CASE("status warns about everything that would leave a crash without a dump", "[loader]") {
  Sandbox s;
  s.put("sys/kexec_crash_size", "0\n");
  s.put("sys/kexec_crash_loaded", "0\n");
  s.put("proc/kernel/panic_on_oops", "0\n");
  s.put("kdumpkit.conf", "target = disk:LABEL=kdk-status-absent\nbogus = 1\n");
  bool loaded = true;
  std::string out = status_output(s.options(), loaded);
  CHECK_FALSE(loaded);
  CHECK_THAT(out, Catch::Contains("capture kernel loaded: no"));
  CHECK_THAT(out, Catch::Contains("warning: no crash memory is reserved"));
  CHECK_THAT(out, Catch::Contains("warning: no capture kernel is loaded"));
  CHECK_THAT(out, Catch::Contains("warning: kernel.panic_on_oops is 0"));
  CHECK_THAT(out, Catch::Contains("kdumpkit.conf:2: unknown key \"bogus\""));
  CHECK_THAT(out, Catch::Contains("target disk:LABEL=kdk-status-absent (line 1): NOT USABLE"));
  CHECK_THAT(out, Catch::Contains("kdumpkit.conf:1: target disk:LABEL=kdk-status-absent: "));
}

TEST_CASE("status shows what is loaded and warns when the configuration is newer", "[loader]") {
  Sandbox s;
  s.put("sys/kexec_crash_size", "268435456\n");
  s.put("sys/kexec_crash_loaded", "1\n");
  s.put("proc/kernel/panic_on_oops", "1\n");
  s.put("state/initramfs-6.1.img", "cpio");
  s.put("state/loaded.conf", "kernel = /boot/vmlinuz-6.1\ninitramfs = " + s.dir +
                                 "/state/initramfs-6.1.img\ncommand_line = quiet irqpoll nr_cpus=1\n"
                                 "loaded_at = 1764158400\n");
  s.put("kdumpkit.conf", "target = raw:/dev/vdc\n");
  struct timeval old_times[2] = {{1000, 0}, {1000, 0}};
  REQUIRE(::utimes((s.dir + "/state/initramfs-6.1.img").c_str(), old_times) == 0);
  bool loaded = false;
  std::string out = status_output(s.options(), loaded);
  CHECK(loaded);
  CHECK_THAT(out, Catch::Contains("crash memory reserved: 256 MiB"));
  CHECK_THAT(out, Catch::Contains("command line: quiet irqpoll nr_cpus=1"));
  CHECK_THAT(out, Catch::Contains("loaded at: 2025-11-26 12:00:00 UTC"));
  CHECK_THAT(out, Catch::Contains("changed after the loaded initramfs"));
  CHECK_THAT(out, !Catch::Contains("panic_on_oops"));
  CHECK_THAT(out, !Catch::Contains("no crash memory"));
}

TEST_CASE("status compares the configuration with the stamp's digest when there is one", "[loader]") {
  Sandbox s;
  s.put("sys/kexec_crash_size", "268435456\n");
  s.put("sys/kexec_crash_loaded", "1\n");
  s.put("proc/kernel/panic_on_oops", "1\n");
  const std::string conf = "target = raw:/dev/vdc\n";
  s.put("kdumpkit.conf", conf);
  s.put("state/initramfs-6.1.img", "cpio");
  s.put("state/loaded.conf", "initramfs = " + s.dir + "/state/initramfs-6.1.img\n");
  struct timeval old_times[2] = {{1000, 0}, {1000, 0}};
  REQUIRE(::utimes((s.dir + "/state/initramfs-6.1.img").c_str(), old_times) == 0);
  // Same text as built (only touched since): no warning, whatever the times say.
  s.put("state/initramfs-6.1.img.stamp", "config = " + sha256_hex(conf.data(), conf.size()) + "\n");
  bool loaded = false;
  CHECK_THAT(status_output(s.options(), loaded), !Catch::Contains("changed after the loaded initramfs"));
  s.put("state/initramfs-6.1.img.stamp", "config = 00\n");
  CHECK_THAT(status_output(s.options(), loaded), Catch::Contains("changed after the loaded initramfs"));
}
