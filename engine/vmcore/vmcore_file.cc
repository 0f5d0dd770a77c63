#include "engine/vmcore/vmcore_file.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine/vmcore/load_consistency.h"
#include "util/format.h"
#include "util/text.h"

namespace kdk::vmcore {

namespace {
// Notes are a few KiB per CPU; refuse absurd sizes from a corrupt header.
constexpr uint64_t kMaxNotesBytes = 64ULL << 20;
}  // namespace

Result<VmcoreFile> VmcoreFile::open(const std::string& path) {
  VmcoreFile v;
  v.path_ = path;
  auto fd = open_fd(path, O_RDONLY);
  if (!fd) return fd.error();
  v.fd_ = std::move(*fd);
  struct stat st;
  if (::fstat(v.fd_.get(), &st) != 0) return Error::from_errno(errno, "stat " + path);
  v.size_ = static_cast<uint64_t>(st.st_size);
  // /proc/vmcore is always ELF; files say what they are in their first bytes.
  uint8_t head[16] = {};
  size_t have = static_cast<size_t>(std::min<uint64_t>(sizeof head, v.size_));
  if (have > 0) {
    if (auto s = pread_exact(v.fd_.get(), head, have, 0, path); !s) return s.error();
  }
  Status opened;
  switch (input_kind(head, have)) {
    case InputKind::kdump:
      opened = v.open_kdump();
      break;
    case InputKind::flattened:
      return Error{path +
                   ": a flattened dump (makedumpfile -F or kdumpkit --format flat); make it a regular "
                   "file first: kdumpkit reassemble " +
                   path + " OUTPUT"};
    case InputKind::diskdump:
      return Error{path + ": a \"DISKDUMP\" file (the old diskdump format) is not supported"};
    case InputKind::unknown:
      return Error{path +
                   ": neither an ELF vmcore nor a kdump-compressed file (it begins with neither "
                   "\"\\177ELF\" nor \"KDUMP   \")"};
    default:
      opened = v.open_elf();
  }
  if (!opened) return opened.error();
  if (v.problems_unlisted_ > 0) {
    v.problems_.push_back(format("... and %llu more problems of the kinds above, not listed",
                                 static_cast<unsigned long long>(v.problems_unlisted_)));
  }
  return v;
}

void VmcoreFile::note_problem(std::string line) {
  if (problems_.size() < kMaxListedProblems) {
    problems_.push_back(std::move(line));
  } else {
    ++problems_unlisted_;
  }
}

Status VmcoreFile::open_kdump() {
  auto img = KdumpImage::open(fd_.get(), path_, size_, problems_);
  if (!img) return img.error();
  kdump_ = *img;
  const KdumpImage& k = *kdump_;
  const uint64_t ps = k.block_size();
  // The machine, as an ELF core would name it (only x86-64 is translated).
  if (std::strncmp(k.header().utsname.machine, "x86_64", sizeof k.header().utsname.machine) == 0)
    layout_.machine = 62;
  for (const auto& r : k.ram_runs()) {
    LoadSegment seg;
    seg.phys_addr = r.first * ps;
    seg.virt_addr = ~0ULL;  // unknown: the kernel's page tables translate
    seg.file_size = seg.mem_size = (r.end - r.first) * ps;
    layout_.loads.push_back(seg);
  }
  notes_ = k.notes();
  if (!notes_.empty())
    layout_.notes.push_back({static_cast<uint64_t>(k.sub_header().offset_note), notes_.size()});
  // The sub header says where VMCOREINFO is; without usable offsets, the
  // VMCOREINFO note itself, as in an ELF core.
  vmcoreinfo_offset_ = k.vmcoreinfo_offset();
  vmcoreinfo_size_ = k.vmcoreinfo_size();
  walk_segment_notes(
      0, notes_.size(),
      format("note blob at file offset %lld", static_cast<long long>(k.sub_header().offset_note)));
  parse_vmcoreinfo();
  if (info_.size() == 0) note_problem("no VMCOREINFO: the kernel's layout is unknown");
  return {};
}

void VmcoreFile::walk_segment_notes(size_t at, uint64_t size, const std::string& where) {
  std::vector<Note> notes;
  auto walked = walk_notes(std::span<const uint8_t>(notes_).subspan(at, size), notes);
  if (!walked)
    note_problem(where + ": " + walked.error().message + "; the notes after it are ignored");
  for (const auto& n : notes) {
    if (n.name == "CORE" && n.type == kNtPrstatus) ++cpus_;
    if (n.name == "VMCOREINFO" && n.type == 0 && vmcoreinfo_size_ == 0) {
      vmcoreinfo_offset_ = static_cast<uint64_t>(n.desc.data() - notes_.data());
      vmcoreinfo_size_ = n.desc.size();
    }
  }
}

void VmcoreFile::parse_vmcoreinfo() {
  if (vmcoreinfo_size_ == 0) return;
  info_ = VmcoreInfo::parse(
      std::string_view(reinterpret_cast<const char*>(notes_.data()) + vmcoreinfo_offset_, vmcoreinfo_size_));
  for (const auto& c : info_.contradictions()) note_problem(c);
  forget_implausible_keys();
  if (info_.size() != 0 && !info_.get("OSRELEASE"))
    note_problem("VMCOREINFO has no OSRELEASE: the kernel's version is unknown");
}

void VmcoreFile::forget_implausible_keys() {
  // Values no kernel has, for keys whose consumers would otherwise take
  // them at face value: unknown, as if absent (their rules then keep pages).
  auto in_range = [](const std::optional<uint64_t>& v, uint64_t lo, uint64_t hi) {
    return v && *v >= lo && *v <= hi;
  };
  std::vector<std::pair<std::string, std::string>> bad;  // key, why
  if (info_.get("PAGESIZE")) {
    auto v = info_.number("PAGESIZE");
    if (!in_range(v, 4096, 256 << 10) || (*v & (*v - 1)) != 0)
      bad.push_back({"PAGESIZE", "a power of two from 4 KiB to 256 KiB"});
  }
  if (info_.get("LENGTH(zone.free_area)") && !in_range(info_.number("LENGTH(zone.free_area)"), 1, 64))
    bad.push_back({"LENGTH(zone.free_area)", "1 to 64 orders"});
  // x86-64's text mapping is at most 1 GiB (KASLR's KERNEL_IMAGE_SIZE).
  if (info_.get("NUMBER(KERNEL_IMAGE_SIZE)") &&
      !in_range(info_.number("NUMBER(KERNEL_IMAGE_SIZE)"), 1, 1ULL << 30))
    bad.push_back({"NUMBER(KERNEL_IMAGE_SIZE)", "at most 1 GiB"});
  for (const auto& line : lines(info_.text())) {
    // Page flag numbers (NUMBER(PG_lru)=5, ...): bits of a 64-bit word.
    if (line.rfind("NUMBER(PG_", 0) != 0) continue;
    std::string key(line.substr(0, line.find('=')));
    if (key.find("_mask)") != std::string::npos || !info_.get(key)) continue;
    auto v = info_.signed_number(key);
    if (!v || *v < 0 || *v > 63) bad.push_back({key, "a bit number from 0 to 63"});
  }
  for (const auto& [key, why] : bad) {
    note_problem("VMCOREINFO " + key + "=" + info_.get(key).value_or("") +
                        " is no value a kernel has (" + why + "): treated as unknown");
    info_.forget(key);
  }
}

Status VmcoreFile::open_elf() {
  VmcoreFile& v = *this;
  const std::string& path = path_;
  uint8_t ehdr[kElfHeaderSize];
  if (v.size_ < sizeof ehdr) {
    return Error{format("%s: %llu bytes is too small for an ELF core", path.c_str(),
                        static_cast<unsigned long long>(v.size_))};
  }
  if (auto s = pread_exact(v.fd_.get(), ehdr, sizeof ehdr, 0, path); !s) return s.error();
  auto layout = parse_elf_header(ehdr, v.size_);
  if (!layout) return layout.error().within(path);
  v.layout_ = *layout;

  std::vector<uint8_t> phdrs(static_cast<size_t>(v.layout_.phnum) * kProgramHeaderSize);
  if (auto s =
          pread_exact(v.fd_.get(), phdrs.data(), phdrs.size(), static_cast<off_t>(v.layout_.phoff), path);
      !s) {
    return s.error();
  }
  if (auto s = parse_program_headers(v.layout_, phdrs, v.size_); !s) return s.error().within(path);

  // A PT_NOTE cut short by the end of the file keeps what is there; one
  // that would take the notes past kMaxNotesBytes (a wild p_filesz) is
  // dropped. Both are recorded; the PT_LOADs are still read.
  std::vector<NoteSegment> kept;
  for (const auto& seg : v.layout_.notes) {
    const auto where =
        format("PT_NOTE at file offset 0x%llx", static_cast<unsigned long long>(seg.file_offset));
    if (seg.missing_bytes != 0) {
      v.note_problem(
          format("%s: %llu of its bytes lie past the end of the file (%llu bytes); the notes "
                 "there are lost",
                 where.c_str(), static_cast<unsigned long long>(seg.missing_bytes),
                 static_cast<unsigned long long>(v.size_)));
    }
    if (seg.size > kMaxNotesBytes - v.notes_.size()) {
      v.note_problem(format("%s: %llu bytes would take the notes past %llu bytes; ignored",
                                   where.c_str(), static_cast<unsigned long long>(seg.size),
                                   static_cast<unsigned long long>(kMaxNotesBytes)));
      continue;
    }
    size_t at = v.notes_.size();
    v.notes_.resize(at + seg.size);
    if (auto s = pread_exact(v.fd_.get(), v.notes_.data() + at, seg.size, static_cast<off_t>(seg.file_offset),
                             path);
        !s) {
      return s.error();
    }
    kept.push_back(seg);
  }
  v.layout_.notes = std::move(kept);
  // Each segment is walked on its own: padding ends one segment, not all.
  // A crashed kernel's notes can be damaged: a bad note ends its segment's
  // walk (the notes before it are kept) and the dump goes on with what is
  // known, down to nothing at all about the kernel (no VMCOREINFO: every
  // page is then kept).
  size_t at = 0;
  for (const auto& seg : v.layout_.notes) {
    v.walk_segment_notes(
        at, seg.size,
        format("PT_NOTE at file offset 0x%llx", static_cast<unsigned long long>(seg.file_offset)));
    at += seg.size;
  }
  v.parse_vmcoreinfo();
  if (v.info_.size() == 0) v.note_problem("no VMCOREINFO note: the kernel's layout is unknown");
  const uint64_t page_size = v.info_.number("PAGESIZE").value_or(4096);
  for (auto& p : check_load_consistency(v.layout_.loads, v.fd_.get(), page_size)) v.note_problem(std::move(p));
  v.clip_implausible_loads();
  for (const auto& seg : v.layout_.loads) {
    if (seg.missing_bytes == 0) continue;
    v.note_problem(
        format("truncated: the file ends at byte %llu, %llu bytes of the PT_LOAD for physical "
               "0x%llx are missing",
               static_cast<unsigned long long>(v.size_), static_cast<unsigned long long>(seg.missing_bytes),
               static_cast<unsigned long long>(seg.phys_addr)));
  }
  return {};
}

void VmcoreFile::clip_implausible_loads() {
  // x86-64 addresses at most 2^52 bytes with 5-level paging (2^46 with 4);
  // a MAX_PHYSMEM_BITS outside what any machine has is itself damage.
  constexpr uint64_t kWidestPhysBits = 52;
  uint64_t bits = info_.number("NUMBER(MAX_PHYSMEM_BITS)").value_or(kWidestPhysBits);
  if (bits < 32 || bits > kWidestPhysBits) bits = kWidestPhysBits;
  const uint64_t limit = 1ULL << bits;
  auto clip = [&](uint64_t paddr, uint64_t& memsz, uint64_t& filesz) -> bool {
    if (paddr < limit && memsz <= limit - paddr) return false;
    memsz = paddr >= limit ? 0 : limit - paddr;
    filesz = std::min(filesz, memsz);
    return true;
  };
  for (auto& seg : layout_.loads) {
    const uint64_t claimed = seg.mem_size;
    if (!clip(seg.phys_addr, seg.mem_size, seg.file_size)) continue;
    seg.missing_bytes = std::min(seg.missing_bytes, seg.mem_size - seg.file_size);
    note_problem(
        format("implausible PT_LOAD: physical 0x%llx + 0x%llx bytes reaches past the %llu-bit "
               "physical address limit; only what lies below it is read",
               static_cast<unsigned long long>(seg.phys_addr), static_cast<unsigned long long>(claimed),
               static_cast<unsigned long long>(bits)));
  }
  // A PT_LOAD's bytes past its file data (p_memsz > p_filesz: zeros, or
  // pages another tool excluded) cannot lie where another PT_LOAD's memory
  // is: such a tail is clipped where the other begins. (/proc/vmcore gives
  // p_memsz == p_filesz; the kernel text's PT_LOAD overlaps RAM's, but with
  // its file data.)
  for (auto& seg : layout_.loads) {
    const uint64_t data_end = seg.phys_addr + seg.file_size + seg.missing_bytes;
    const uint64_t claimed_end = seg.phys_addr + seg.mem_size;
    uint64_t end = claimed_end;
    for (const auto& other : layout_.loads) {
      if (&other == &seg || other.mem_size == 0) continue;
      const uint64_t o_end = other.phys_addr + other.mem_size;
      if (other.phys_addr < end && o_end > data_end) end = std::max(data_end, other.phys_addr);
    }
    if (end == claimed_end) continue;
    seg.mem_size = end - seg.phys_addr;
    note_problem(
        format("implausible PT_LOAD: physical 0x%llx + 0x%llx bytes has no file data past "
               "0x%llx and runs into another PT_LOAD; clipped at 0x%llx",
               static_cast<unsigned long long>(seg.phys_addr),
               static_cast<unsigned long long>(claimed_end - seg.phys_addr),
               static_cast<unsigned long long>(data_end), static_cast<unsigned long long>(end)));
  }
  // The program headers (copied into ELF output) say what the loads now say.
  size_t k = 0;
  for (auto& h : layout_.headers) {
    if (h.type != kPtLoad || k >= layout_.loads.size()) continue;
    const auto& seg = layout_.loads[k++];
    h.memsz = seg.mem_size;
    h.filesz = std::min(h.filesz, seg.mem_size);
  }
}

}  // namespace kdk::vmcore
