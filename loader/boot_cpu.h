// The boot CPU's APIC id, for the capture kernel's disable_cpu_apicid=.
//
// A crash on another CPU boots the capture kernel there; with nr_cpus > 1 it
// would then wake the other CPUs with INIT and SIPI, and INIT sent to the
// boot CPU can reset the machine (seen in QEMU, and why kdump-utils passes
// the same parameter). disable_cpu_apicid= keeps the capture kernel from
// touching that CPU.
#pragma once

#include <optional>
#include <string_view>

namespace kdk::loader {

// The "apicid" of "processor : 0" in /proc/cpuinfo's text; nullopt when
// there is none (not x86, or an unreadable text).
std::optional<unsigned> boot_cpu_apicid(std::string_view cpuinfo);

}  // namespace kdk::loader
