// disable_cpu_apicid=: the boot CPU's APIC id from /proc/cpuinfo.
#include "loader/boot_cpu.h"

#include <catch2/catch.hpp>

using kdk::loader::boot_cpu_apicid;

TEST_CASE("boot CPU: the apicid of processor 0, as /proc/cpuinfo gives it", "[loader][cpu]") {
  // As a two-CPU QEMU guest prints it (trimmed), processors in any order.
  const char* two =
      "processor\t: 1\nvendor_id\t: AuthenticAMD\nphysical id\t: 1\napicid\t\t: 3\n"
      "initial apicid\t: 3\n\nprocessor\t: 0\nvendor_id\t: AuthenticAMD\nphysical id\t: 0\n"
      "apicid\t\t: 2\ninitial apicid\t: 2\n\n";
  CHECK(boot_cpu_apicid(two) == 2u);
  CHECK(boot_cpu_apicid("processor\t: 0\napicid\t\t: 0\n") == 0u);
  // No x86 apicid (another architecture), no processor 0, garbage.
  CHECK_FALSE(boot_cpu_apicid("processor\t: 0\nBogoMIPS\t: 50.00\n").has_value());
  CHECK_FALSE(boot_cpu_apicid("processor\t: 1\napicid\t\t: 1\n").has_value());
  CHECK_FALSE(boot_cpu_apicid("processor\t: 0\napicid\t\t: x\n").has_value());
  CHECK_FALSE(boot_cpu_apicid("").has_value());
}
