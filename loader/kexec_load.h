// kexec_load(2): every segment built here, as kexec-tools does for x86-64,
// with kdumpkit's own purgatory (purgatory/). For a crash kernel: the ELF
// core header, the purgatory, boot_params with the command line (adding
// elfcorehdr=) and the capture kernel's e820 map, the protected-mode
// kernel, and the initramfs placed high, all inside the crash reservation.
// For a normal reboot (`kdumpkit exec`): the same without the core header,
// in free RAM, with the firmware's memory map. EFI boot information is
// handed on when the machine booted by EFI.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "loader/boot_params.h"
#include "loader/bzimage.h"
#include "loader/elf_core_header.h"
#include "loader/image_kind.h"
#include "loader/memory_ranges.h"
#include "util/result.h"

namespace kdk::loader {

// Where the live facts are read; tests point these at copies.
struct SystemPaths {
  std::string proc = "/proc";
  std::string sys = "/sys";
};

// What the running machine says, read once (read_machine_facts).
struct MachineFacts {
  std::vector<IomemEntry> iomem;
  std::vector<E820Entry> firmware_map;  // kReboot: /sys/firmware/memmap
  std::vector<Range> cpu_notes;         // kCrash: per CPU, /sys/devices/system/cpu/cpuN/crash_notes
  Range vmcoreinfo;                     // kCrash: /sys/kernel/vmcoreinfo
  KernelMapping kernel;                 // kCrash: /proc/kcore
  std::vector<uint8_t> boot_params;     // /sys/kernel/boot_params/data, empty when absent
  std::optional<EfiBootInfo> efi;       // booted by EFI, with a runtime map
  uint64_t acpi_rsdp = 0;
  std::vector<std::string> notes;  // what was missing and what that means, for the log
};

Result<MachineFacts> read_machine_facts(ImageKind kind, const SystemPaths& paths);

struct KexecLoadRequest {
  ImageKind kind = ImageKind::kCrash;
  std::string kernel;                  // bzImage path (for errors)
  std::string cmdline;                 // kCrash: without elfcorehdr=, which is added
  std::vector<uint8_t> rng_seed;       // SETUP_RNG_SEED bytes, none when empty
  bool wrong_digest_for_test = false;  // KDUMPKIT_TEST_WRONG_DIGEST: purgatory must refuse
};

struct PlannedSegment {
  std::string name;
  std::vector<uint8_t> owned;      // built here (header, boot params, purgatory)
  std::span<const uint8_t> bytes;  // what is loaded: owned, or a view of the kernel or initrd file
  uint64_t mem = 0;
  uint64_t memsz = 0;  // page aligned, >= bytes.size(); the rest is zeros
};

struct KexecPlan {
  std::vector<PlannedSegment> segments;
  uint64_t entry = 0;  // the purgatory's first byte
  std::string cmdline;
  std::vector<E820Entry> e820;
  uint64_t elfcorehdr = 0;  // kCrash
  uint64_t kernel_addr = 0, boot_params_addr = 0;
};

// Lays out the segments; `initrd` may be empty. Pure but for nothing: all
// inputs are given.
Result<KexecPlan> plan_kexec_load(const KexecLoadRequest& req, const BzImage& image,
                                  std::span<const uint8_t> initrd, const MachineFacts& facts);

// SHA-256 of a segment as loaded (its bytes, then zeros up to memsz).
std::array<uint8_t, 32> segment_digest(const PlannedSegment& s);

// The serial port of the last console=ttySN / console=uart,io,ADDR on the
// command line, else COM1 (0x3f8): where the purgatory prints.
uint16_t purgatory_serial_port(const std::string& cmdline);

// Reads the files and the machine, plans, and calls kexec_load(2).
// `initrd` may be "".
Status load_with_kexec_load(KexecLoadRequest req, const std::string& initrd, const SystemPaths& paths = {});

// kexec_load(2)'s errno, with the fix.
std::string explain_kexec_load_errno(int err);

// Unloads an image with kexec_load(0 segments).
Status unload_with_kexec_load(ImageKind kind);

}  // namespace kdk::loader
