// An open dump input: an ELF vmcore (/proc/vmcore or a saved file), or a
// kdump-compressed file (makedumpfile's format, to refilter or read). Its
// layout, notes and VMCOREINFO are read once at open. A kdump-compressed
// file is presented the same way: its RAM (bitmap1 runs) as PT_LOADs
// without virtual addresses, its sub header's notes, the machine from the
// header's utsname; kdump() then gives the file itself.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/vmcore/elf_core.h"
#include "engine/vmcore/kdump_image.h"
#include "engine/vmcore/vmcoreinfo.h"
#include "util/fd.h"
#include "util/result.h"

namespace kdk::vmcore {

class VmcoreFile {
 public:
  // Tells the kinds apart by their first bytes; a flattened stream
  // (makedumpfile -F) is refused with the way to make it a regular file.
  static Result<VmcoreFile> open(const std::string& path);

  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }
  uint64_t size() const { return size_; }
  const ElfCoreLayout& layout() const { return layout_; }
  const std::vector<uint8_t>& notes_blob() const { return notes_; }  // all PT_NOTE bytes
  // Where VMCOREINFO's text lies inside notes_blob() (size 0: nowhere).
  uint64_t vmcoreinfo_offset() const { return vmcoreinfo_offset_; }
  uint64_t vmcoreinfo_size() const { return vmcoreinfo_size_; }
  const VmcoreInfo& info() const { return info_; }
  int cpu_count() const { return cpus_; }  // NT_PRSTATUS notes
  // What is wrong with the file that does not stop us from reading it: a
  // damaged note (those before it are kept), no VMCOREINFO (info() is then
  // empty: nothing about the kernel is known), PT_LOADs cut short by a
  // truncated file, PT_LOADs past the physical address limit (clipped).
  // One line each, at most kMaxListedProblems and then one line counting
  // the rest (garbage program headers can claim 65535 segments); empty for
  // a sound vmcore.
  static constexpr size_t kMaxListedProblems = 64;
  const std::vector<std::string>& problems() const { return problems_; }

  // The kdump-compressed file this input is, or null for an ELF core.
  const std::shared_ptr<const KdumpImage>& kdump() const { return kdump_; }

 private:
  Status open_elf();
  Status open_kdump();
  // Walks the notes of [at, at + size) of the blob once: CPUs, and the
  // first VMCOREINFO note (when none was placed yet). A damaged note ends
  // the walk and is recorded with `where`.
  void walk_segment_notes(size_t at, uint64_t size, const std::string& where);
  // Parses VMCOREINFO; contradicted and implausible keys are left out and
  // recorded in problems().
  void parse_vmcoreinfo();
  void forget_implausible_keys();
  // PT_LOADs that reach past what the machine can address (VMCOREINFO's
  // MAX_PHYSMEM_BITS, else 52 bits) are corruption: clipped to that limit,
  // or dropped when they start past it, and recorded in problems().
  void clip_implausible_loads();
  void note_problem(std::string line);

  std::string path_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  ElfCoreLayout layout_;
  std::vector<uint8_t> notes_;
  uint64_t vmcoreinfo_offset_ = 0;
  uint64_t vmcoreinfo_size_ = 0;
  VmcoreInfo info_;
  int cpus_ = 0;
  std::vector<std::string> problems_;
  uint64_t problems_unlisted_ = 0;
  std::shared_ptr<const KdumpImage> kdump_;
};

}  // namespace kdk::vmcore
