#include "engine/dump/dump_input.h"

#include <cstring>

#include "engine/dump/damage_log.h"
#include "engine/vmcore/elf_core.h"
#include "engine/vmcore/physical_memory.h"
#include "util/fd.h"
#include "util/format.h"

namespace kdk::dump {

namespace {

constexpr uint16_t kEmX86_64 = 62;

void copy_field(char (&dst)[kUtsFieldLen], const std::string& s) {
  std::memset(dst, 0, sizeof dst);
  std::memcpy(dst, s.data(), std::min(s.size(), sizeof dst - 1));
}

// What the vmcore states about the kernel without reading kernel memory: the
// release from VMCOREINFO and the machine from the ELF header. dump_vmcore()
// replaces it with init_uts_ns when the kernel model can be built.
void fill_utsname(const vmcore::VmcoreFile& core, UtsName& uts) {
  std::memset(&uts, 0, sizeof uts);
  copy_field(uts.sysname, "Linux");
  if (auto r = core.info().os_release()) copy_field(uts.release, *r);
  if (core.layout().machine == kEmX86_64) copy_field(uts.machine, "x86_64");
}

// The keys VmcoreFile found contradicted or impossible are unknown to this
// dump; readers of the output (libkdumpfile, crash) would still take them
// at face value (PAGESIZE=0 crashes libkdumpfile). Their lines in the
// output's copy of VMCOREINFO begin with '#' instead: same size, the value
// still there for a person, no longer a key for a tool.
void mark_forgotten_keys(const vmcore::VmcoreInfo& info, DumpInput& in) {
  if (info.forgotten().empty() || in.vmcoreinfo_size == 0) return;
  char* text = reinterpret_cast<char*>(in.notes.data() + in.vmcoreinfo_offset);
  const size_t size = static_cast<size_t>(in.vmcoreinfo_size);
  for (size_t at = 0; at < size;) {
    size_t end = at;
    while (end < size && text[end] != '\n' && text[end] != '\0') ++end;
    std::string_view line(text + at, end - at);
    for (const auto& key : info.forgotten()) {
      if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == '=')
        text[at] = '#';
    }
    if (end < size && text[end] == '\0') break;
    at = end + 1;
  }
}

class VmcorePageReader final : public PageReader {
 public:
  VmcorePageReader(vmcore::PhysicalMemory mem, DamageLog* damage) : mem_(std::move(mem)), damage_(damage) {}
  Result<const uint8_t*> read(uint64_t pfn, uint8_t* scratch) override {
    if (const uint8_t* p = mem_.map_page(pfn)) return p;
    if (auto s = mem_.read_page(pfn, scratch); !s) {
      if (!damage_) return s.error();
      // The page is already in the bitmaps: write zeros, say so.
      std::memset(scratch, 0, mem_.page_size());
      damage_->add(pfn, s.error().message + ": written as zeros");
    }
    return static_cast<const uint8_t*>(scratch);
  }
  bool available(uint64_t pfn) override { return mem_.available(pfn); }

 private:
  vmcore::PhysicalMemory mem_;
  DamageLog* damage_;
};

// A kdump-compressed input: the header facts carried over as makedumpfile
// does when refiltering (get_kdump_compressed_header_info, initial()).
Result<DumpInput> dump_input_from_kdump(const vmcore::VmcoreFile& core, PageSource& pages) {
  const vmcore::KdumpImage& k = *core.kdump();
  DumpInput in;
  in.path = core.path();
  in.fd = core.fd();
  in.page_size = pages.page_size();
  in.pages = &pages;
  std::memcpy(&in.utsname, &k.header().utsname, sizeof in.utsname);
  // The input's timestamp; VMCOREINFO's CRASHTIME, when there, sets the seconds.
  in.timestamp_sec = k.header().timestamp_sec;
  in.timestamp_usec = k.header().timestamp_usec;
  if (auto t = core.info().crash_time(); t && *t != 0) in.timestamp_sec = *t;
  in.nr_cpus = k.header().nr_cpus;
  in.phys_base = k.sub_header().phys_base;
  in.notes = core.notes_blob();
  in.vmcoreinfo_offset = core.vmcoreinfo_offset();
  in.vmcoreinfo_size = core.vmcoreinfo_size();
  in.max_mapnr = k.max_mapnr();
  in.eraseinfo = k.eraseinfo();
  // An ELF view: the header of an x86-64 core, a PT_NOTE, and the RAM runs
  // as PT_LOADs (for ELF output and for filters that work from PT_LOADs).
  // The direct map's virtual addresses are not in the file: p_vaddr 0, as
  // for RAM no kernel mapping is known for; readers use p_paddr.
  in.synthetic_elf = true;
  const uint8_t ident[16] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
  std::memcpy(in.ehdr.data(), ident, sizeof ident);
  auto put16 = [&](size_t at, uint16_t v) { std::memcpy(in.ehdr.data() + at, &v, 2); };
  put16(16, 4);  // ET_CORE
  put16(18, core.layout().machine);
  uint32_t version = 1;
  std::memcpy(in.ehdr.data() + 20, &version, 4);
  put16(52, 64);  // e_ehsize
  put16(54, 56);  // e_phentsize
  ElfPhdr note;
  note.type = 4;  // PT_NOTE
  note.filesz = note.memsz = in.notes.size();
  in.phdrs.push_back(note);
  for (const auto& seg : core.layout().loads) {
    ElfPhdr h;
    h.type = vmcore::kPtLoad;
    h.flags = 7;  // RWX, as kexec-tools describes RAM
    h.paddr = seg.phys_addr;
    h.filesz = seg.file_size;
    h.memsz = seg.mem_size;
    in.phdrs.push_back(h);
  }
  return in;
}

}  // namespace

uint64_t vmcore_page_size(const vmcore::VmcoreFile& core) {
  if (core.kdump()) return core.kdump()->block_size();
  if (auto n = core.info().number("PAGESIZE"); n && *n != 0) return *n;
  return 4096;
}

Result<std::unique_ptr<PageReader>> VmcorePageSource::open_reader() {
  auto mem = vmcore::PhysicalMemory::create(core_, page_size_);
  if (!mem) return mem.error();
  return std::unique_ptr<PageReader>(new VmcorePageReader(std::move(*mem), damage_));
}

Result<DumpInput> dump_input_from_vmcore(const vmcore::VmcoreFile& core, PageSource& pages) {
  if (core.kdump()) return dump_input_from_kdump(core, pages);
  DumpInput in;
  in.path = core.path();
  in.fd = core.fd();
  in.page_size = pages.page_size();
  in.pages = &pages;
  fill_utsname(core, in.utsname);
  if (auto t = core.info().crash_time()) in.timestamp_sec = *t;
  in.nr_cpus = core.cpu_count();
  // x86-64 exports NUMBER(phys_base) in decimal (VMCOREINFO_NUMBER).
  // It may be negative (the kernel image below its link address); the
  // header keeps the same bits in an unsigned long, as the kernel does.
  if (auto pb = core.info().signed_number("NUMBER(phys_base)")) in.phys_base = static_cast<uint64_t>(*pb);
  in.notes = core.notes_blob();
  in.vmcoreinfo_offset = core.vmcoreinfo_offset();
  in.vmcoreinfo_size = core.vmcoreinfo_size();
  mark_forgotten_keys(core.info(), in);

  // The header and program headers as VmcoreFile read them (the one ELF
  // parse), copied for ELF output.
  const auto& layout = core.layout();
  in.ehdr = layout.ehdr;
  uint64_t max_end = 0;
  for (ElfPhdr h : layout.headers) {
    // A truncated file holds only part of a PT_LOAD: the rest is no-data,
    // as past p_filesz (RAM, not dumped; VmcoreFile records it as missing).
    if (h.type == vmcore::kPtLoad && (h.offset > core.size() || h.filesz > core.size() - h.offset))
      h.filesz = h.offset > core.size() ? 0 : core.size() - h.offset;
    if (h.type == vmcore::kPtLoad) max_end = std::max(max_end, h.paddr + h.memsz);
    in.phdrs.push_back(h);
  }
  // makedumpfile: max_mapnr = pfn of the highest PT_LOAD end, rounded up.
  in.max_mapnr = (max_end + in.page_size - 1) / in.page_size;
  return in;
}

}  // namespace kdk::dump
