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
       "root=UUID=abc ro quiet irqpoll nr_cpus=1 reset_devices panic=10"},
      {"console=ttyS0 crashkernel=2G-64G:256M,64G-:512M panic=1", "",
       "console=ttyS0 irqpoll nr_cpus=1 reset_devices panic=10"},
      // What the user appends wins over defaults and over the running line.
      {"console=ttyS0 nr_cpus=8 crashkernel=256M", "nr_cpus=2 kdumpkit.final_action=halt",
       "console=ttyS0 irqpoll reset_devices panic=10 nr_cpus=2 kdumpkit.final_action=halt"},
      // Quoted values stay one word; init's arguments after "--" stay last.
      {"root=/dev/vda dyndbg=\"file x.c +p\" crashkernel=1G -- single", "",
       "root=/dev/vda dyndbg=\"file x.c +p\" irqpoll nr_cpus=1 reset_devices panic=10 -- single"},
      {"", "", "irqpoll nr_cpus=1 reset_devices panic=10"},
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
        "root=/dev/vda irqpoll nr_cpus=4 reset_devices panic=10");
  CHECK(capture_cmdline("root=/dev/vda", "", 0) == "root=/dev/vda irqpoll nr_cpus=1 reset_devices panic=10");
  // load passes "<capture_args> <--append>": both after the defaults, --append last.
  CHECK(capture_cmdline("root=/dev/vda quiet", "console=ttyS1 loglevel=7 loglevel=3", 2) ==
        "root=/dev/vda quiet irqpoll nr_cpus=2 reset_devices panic=10 console=ttyS1 loglevel=3");
  // capture_args can override the configured count too, and drop nothing else.
  CHECK(capture_cmdline("root=/dev/vda", " nr_cpus=3", 2) ==
        "root=/dev/vda irqpoll reset_devices panic=10 nr_cpus=3");
  CHECK(capture_cmdline("quiet", " ", 1) == "quiet irqpoll nr_cpus=1 reset_devices panic=10");
}

TEST_CASE("the capture command line drops what reserves memory and reboots on a panic", "[loader]") {
  // Every word that makes the kernel set memory aside at boot goes; what
  // merely looks alike stays.
  CHECK(capture_cmdline("root=/dev/vda hugepages=512 hugepagesz=1G default_hugepagesz=1G hugetlb_cma=4G "
                        "cma=256M kernelcore=50% movablecore=10% log_buf_len=16M trace_buf_size=64M "
                        "swiotlb=65536 slub_debug=FZ kmemleak=on page_owner=on transparent_hugepage=always "
                        "hugetlb_free_vmemmap=on crashkernel=512M",
                        "", 1) ==
        "root=/dev/vda hugetlb_free_vmemmap=on irqpoll nr_cpus=1 reset_devices panic=10");
  // The production kernel's own panic= does not carry over; capture_args sets another.
  CHECK(capture_cmdline("root=/dev/vda panic=0", "", 1) ==
        "root=/dev/vda irqpoll nr_cpus=1 reset_devices panic=10");
  CHECK(capture_cmdline("root=/dev/vda", "panic=30", 1) ==
        "root=/dev/vda irqpoll nr_cpus=1 reset_devices panic=30");
  // A capture_args word that reserves memory is the user's explicit choice: kept.
  CHECK(capture_cmdline("root=/dev/vda cma=64M", "cma=0", 1) ==
        "root=/dev/vda irqpoll nr_cpus=1 reset_devices panic=10 cma=0");
}
