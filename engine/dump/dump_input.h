// What the format writers need from the dumped machine, independent of
// where it comes from (an ELF vmcore, or a kdump-compressed file when
// refiltering): header facts, the ELF notes, and pages by pfn.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/format/kdump_layout.h"
#include "engine/vmcore/vmcore_file.h"
#include "util/result.h"

namespace kdk::dump {

// Reads pages for one thread (each worker opens its own: readers keep
// mmap windows and are not shared).
class PageReader {
 public:
  virtual ~PageReader() = default;
  // Returns a pointer to page `pfn`: into a mapping, or into `scratch`
  // (page_size bytes) after a copy. Valid until the next call.
  virtual Result<const uint8_t*> read(uint64_t pfn, uint8_t* scratch) = 0;
  // Whether the input holds page `pfn` (a kdump-compressed input dumped only some).
  virtual bool available(uint64_t pfn) {
    (void)pfn;
    return true;
  }
};

class PageSource {
 public:
  virtual ~PageSource() = default;
  virtual uint64_t page_size() const = 0;
  virtual Result<std::unique_ptr<PageReader>> open_reader() = 0;
};

// A program header of the input ELF core, as the ELF writer copies it.
using ElfPhdr = vmcore::ProgramHeader;

struct DumpInput {
  std::string path;
  int fd = -1;  // the input file (not owned)
  uint64_t page_size = 4096;
  uint64_t max_mapnr = 0;
  UtsName utsname{};
  int64_t timestamp_sec = 0;   // VMCOREINFO CRASHTIME, as makedumpfile takes it
  int64_t timestamp_usec = 0;  // a kdump input's own (makedumpfile keeps it)
  int nr_cpus = 0;
  uint64_t phys_base = 0;
  std::vector<uint8_t> notes;      // the PT_NOTE contents, copied verbatim
  uint64_t vmcoreinfo_offset = 0;  // of the VMCOREINFO desc inside `notes`
  uint64_t vmcoreinfo_size = 0;    // 0 when there is none
  std::array<uint8_t, 64> ehdr{};  // the input's ELF header (ELF output copies it)
  std::vector<ElfPhdr> phdrs;      // all program headers, in file order
  // The input is not an ELF core (a kdump-compressed file): `ehdr` and
  // `phdrs` are made up (PT_LOADs from its RAM runs, p_vaddr unknown: 0),
  // and page bytes come only through `pages`, never from file offsets.
  bool synthetic_elf = false;
  // A refiltered kdump input's erase information, appended after the pages
  // (makedumpfile's write_kdump_eraseinfo); empty otherwise.
  std::vector<uint8_t> eraseinfo;
  PageSource* pages = nullptr;
};

// Fills a DumpInput from an open vmcore (ELF, or kdump-compressed: then
// the header facts are the input header's, as makedumpfile carries them
// over when refiltering, and `phdrs` are PT_LOADs made from its bitmap1
// runs). `pages` must outlive the result.
Result<DumpInput> dump_input_from_vmcore(const vmcore::VmcoreFile& core, PageSource& pages);

// Pages of an ELF vmcore through PhysicalMemory (one per reader).
class DamageLog;

class VmcorePageSource final : public PageSource {
 public:
  VmcorePageSource(const vmcore::VmcoreFile& core, uint64_t page_size) : core_(core), page_size_(page_size) {}
  uint64_t page_size() const override { return page_size_; }
  Result<std::unique_ptr<PageReader>> open_reader() override;
  // With a log, a page that cannot be read (a kdump input's data that does
  // not decompress) reads as zeros and is recorded there instead of
  // failing the dump. Without one (the default) a read error fails it.
  void keep_going(DamageLog* log) { damage_ = log; }

 private:
  const vmcore::VmcoreFile& core_;
  uint64_t page_size_;
  DamageLog* damage_ = nullptr;
};

// The page size the vmcore declares (VMCOREINFO PAGESIZE, else 4096).
uint64_t vmcore_page_size(const vmcore::VmcoreFile& core);

}  // namespace kdk::dump
