// The capture kernel's command line, derived from the running kernel's:
// crashkernel=, BOOT_IMAGE= and initrd= are dropped, and so is every word
// that makes a kernel reserve or spend memory at boot (hugepages=, cma=,
// log_buf_len=, swiotlb=, ...): the capture kernel has only the reservation.
// What distributions add on x86-64 is appended: irqpoll nr_cpus=N
// reset_devices (N is the configuration's nr_cpus, or with `nr_cpus = auto`
// what `load` found the reservation affords), and panic=10, so that a panic
// of the capture kernel itself reboots the machine instead of hanging it
// (capture_args = panic=N sets another delay).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kdk::loader {

inline constexpr int kCapturePanicSeconds = 10;

// Splits a kernel command line into words, keeping double-quoted parts
// ("foo=\"a b\"") inside one word, as the kernel's own parser does.
std::vector<std::string> split_kernel_cmdline(std::string_view cmdline);

// `running` is /proc/cmdline; `append` is added last and wins over what it
// repeats (a later nr_cpus= overrides the default one). `load` passes the
// configuration's capture_args followed by --append as `append`.
std::string capture_cmdline(std::string_view running, std::string_view append, int nr_cpus = 1);

}  // namespace kdk::loader
