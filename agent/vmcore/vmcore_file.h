// An open ELF vmcore (/proc/vmcore or a saved file): its layout, notes and
// VMCOREINFO, read once at open.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/vmcore/elf_core.h"
#include "agent/vmcore/vmcoreinfo.h"
#include "util/fd.h"
#include "util/result.h"

namespace kdk::vmcore {

class VmcoreFile {
 public:
  static Result<VmcoreFile> open(const std::string& path);

  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }
  uint64_t size() const { return size_; }
  const ElfCoreLayout& layout() const { return layout_; }
  const std::vector<uint8_t>& notes_blob() const { return notes_; }  // all PT_NOTE bytes
  const VmcoreInfo& info() const { return info_; }
  int cpu_count() const { return cpus_; }  // NT_PRSTATUS notes

 private:
  std::string path_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  ElfCoreLayout layout_;
  std::vector<uint8_t> notes_;
  VmcoreInfo info_;
  int cpus_ = 0;
};

}  // namespace kdk::vmcore
