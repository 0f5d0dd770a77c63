#include "engine/vmcore/elf_core.h"

#include <cstring>

#include "util/format.h"

namespace kdk::vmcore {

namespace {

template <class T>
T load_le(const uint8_t* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(p[i]) << (8 * i);
  return v;
}

constexpr uint16_t kEtCore = 4;

}  // namespace

Result<ElfCoreLayout> parse_elf_header(std::span<const uint8_t> e, uint64_t file_size) {
  if (e.size() < kElfHeaderSize) {
    return Error{format("ELF header: need %zu bytes, have %zu", kElfHeaderSize, e.size())};
  }
  if (std::memcmp(e.data(),
                  "\x7f"
                  "ELF",
                  4) != 0)
    return Error{"not an ELF file (bad magic)"};
  if (e[4] != 2) return Error{format("ELF class %u is not ELF64", e[4])};
  if (e[5] != 1) return Error{"big-endian ELF cores are not supported"};
  uint16_t type = load_le<uint16_t>(&e[16]);
  if (type != kEtCore) return Error{format("ELF type %u is not a core file (4)", type)};
  ElfCoreLayout l;
  std::memcpy(l.ehdr.data(), e.data(), kElfHeaderSize);
  l.machine = load_le<uint16_t>(&e[18]);
  l.phoff = load_le<uint64_t>(&e[32]);
  uint16_t phentsize = load_le<uint16_t>(&e[54]);
  l.phnum = load_le<uint16_t>(&e[56]);
  if (phentsize != kProgramHeaderSize) {
    return Error{format("program header size %u, expected %zu", phentsize, kProgramHeaderSize)};
  }
  if (l.phnum == 0) return Error{"no program headers"};
  uint64_t table = static_cast<uint64_t>(l.phnum) * kProgramHeaderSize;
  if (l.phoff > file_size || table > file_size - l.phoff) {
    return Error{format("program headers at 0x%llx (%u entries) run past the end of the file (%llu bytes)",
                        static_cast<unsigned long long>(l.phoff), l.phnum,
                        static_cast<unsigned long long>(file_size))};
  }
  return l;
}

Status parse_program_headers(ElfCoreLayout& l, std::span<const uint8_t> ph, uint64_t file_size) {
  if (ph.size() < static_cast<size_t>(l.phnum) * kProgramHeaderSize) {
    return Error{"program header table is truncated"};
  }
  for (uint16_t i = 0; i < l.phnum; ++i) {
    const uint8_t* p = ph.data() + static_cast<size_t>(i) * kProgramHeaderSize;
    ProgramHeader h;
    h.type = load_le<uint32_t>(p);
    h.flags = load_le<uint32_t>(p + 4);
    h.offset = load_le<uint64_t>(p + 8);
    h.vaddr = load_le<uint64_t>(p + 16);
    h.paddr = load_le<uint64_t>(p + 24);
    h.filesz = load_le<uint64_t>(p + 32);
    h.memsz = load_le<uint64_t>(p + 40);
    h.align = load_le<uint64_t>(p + 48);
    l.headers.push_back(h);
    const uint32_t type = h.type;
    const uint64_t offset = h.offset, vaddr = h.vaddr, paddr = h.paddr, memsz = h.memsz;
    uint64_t filesz = h.filesz;
    if (type != kPtLoad && type != kPtNote) continue;
    uint64_t missing = 0;
    if (offset > file_size || filesz > file_size - offset) {
      // Truncated, or a wild offset or size: keep what is there (the
      // caller records the rest as missing).
      uint64_t present = offset > file_size ? 0 : file_size - offset;
      missing = filesz - present;
      filesz = present;
    }
    if (type == kPtLoad) {
      l.loads.push_back(LoadSegment{paddr, vaddr, offset, filesz, memsz, missing});
    } else {
      l.notes.push_back(NoteSegment{offset, filesz, missing});
    }
  }
  return {};
}

Result<std::vector<Note>> parse_notes(std::span<const uint8_t> blob) {
  std::vector<Note> out;
  if (auto s = walk_notes(blob, out); !s) return s.error();
  return out;
}

Status walk_notes(std::span<const uint8_t> blob, std::vector<Note>& out) {
  uint64_t pos = 0;
  const uint64_t size = blob.size();
  while (pos + 12 <= size) {
    uint32_t namesz = load_le<uint32_t>(&blob[pos]);
    uint32_t descsz = load_le<uint32_t>(&blob[pos + 4]);
    uint32_t type = load_le<uint32_t>(&blob[pos + 8]);
    if (namesz == 0 && descsz == 0 && type == 0) break;  // padding
    uint64_t name_at = pos + 12;
    uint64_t desc_at = name_at + ((static_cast<uint64_t>(namesz) + 3) & ~3ULL);
    uint64_t end = desc_at + ((static_cast<uint64_t>(descsz) + 3) & ~3ULL);
    if (desc_at > size || end > size || desc_at + descsz > size) {
      return Error{format(
          "note at offset 0x%llx (name size %u, desc size %u) runs past the end of the "
          "notes (%llu bytes)",
          static_cast<unsigned long long>(pos), namesz, descsz, static_cast<unsigned long long>(size))};
    }
    Note n;
    size_t name_len = namesz;
    while (name_len > 0 && blob[name_at + name_len - 1] == 0) --name_len;
    n.name.assign(reinterpret_cast<const char*>(&blob[name_at]), name_len);
    n.type = type;
    n.desc = blob.subspan(desc_at, descsz);
    n.offset = pos;
    out.push_back(std::move(n));
    pos = end;
  }
  return {};
}

}  // namespace kdk::vmcore
