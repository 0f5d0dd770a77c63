#include "loader/capture_cmdline.h"

#include <catch2/catch.hpp>

using kdk::loader::capture_cmdline;
using kdk::loader::split_kernel_cmdline;

TEST_CASE("the capture command line drops crashkernel and BOOT_IMAGE and adds the kdump set", "[loader]") {
  struct Case {
    const char* running;
    const char* append;
    const char* expected;
  };
  const Case cases[] = {
      {"BOOT_IMAGE=/boot/vmlinuz-6.1.0-40-amd64 root=UUID=abc ro quiet crashkernel=256M\n", "",
       "root=UUID=abc ro quiet irqpoll nr_cpus=1 reset_devices"},
      {"console=ttyS0 crashkernel=2G-64G:256M,64G-:512M panic=1", "",
       "console=ttyS0 panic=1 irqpoll nr_cpus=1 reset_devices"},
      // What the user appends wins over defaults and over the running line.
      {"console=ttyS0 nr_cpus=8 crashkernel=256M", "nr_cpus=2 kdumpkit.final_action=halt",
       "console=ttyS0 irqpoll reset_devices nr_cpus=2 kdumpkit.final_action=halt"},
      // Quoted values stay one word; init's arguments after "--" stay last.
      {"root=/dev/vda dyndbg=\"file x.c +p\" crashkernel=1G -- single", "",
       "root=/dev/vda dyndbg=\"file x.c +p\" irqpoll nr_cpus=1 reset_devices -- single"},
      {"", "", "irqpoll nr_cpus=1 reset_devices"},
  };
  for (const auto& c : cases) {
    INFO(c.running);
    CHECK(capture_cmdline(c.running, c.append) == c.expected);
  }
}

TEST_CASE("kernel command lines split like the kernel splits them", "[loader]") {
  CHECK(split_kernel_cmdline("  a b=\"c d\"\te\n") == std::vector<std::string>{"a", "b=\"c d\"", "e"});
}

TEST_CASE("nr_cpus comes from the configuration and capture_args are appended", "[loader]") {
  CHECK(capture_cmdline("root=/dev/vda nr_cpus=8 crashkernel=256M", "", 4) ==
        "root=/dev/vda irqpoll nr_cpus=4 reset_devices");
  CHECK(capture_cmdline("root=/dev/vda", "", 0) == "root=/dev/vda irqpoll nr_cpus=1 reset_devices");
  // load passes "<capture_args> <--append>": both after the defaults, --append last.
  CHECK(capture_cmdline("root=/dev/vda quiet", "console=ttyS1 loglevel=7 loglevel=3", 2) ==
        "root=/dev/vda quiet irqpoll nr_cpus=2 reset_devices console=ttyS1 loglevel=3");
  // capture_args can override the configured count too, and drop nothing else.
  CHECK(capture_cmdline("root=/dev/vda", " nr_cpus=3", 2) == "root=/dev/vda irqpoll reset_devices nr_cpus=3");
  CHECK(capture_cmdline("quiet", " ", 1) == "quiet irqpoll nr_cpus=1 reset_devices");
}
