// The ELF64 core file that /proc/vmcore (or a saved vmcore) is: its program
// headers (PT_LOAD: physical memory ranges and where they sit in the file;
// PT_NOTE: CPU registers and VMCOREINFO). Parsing is over byte spans read by
// the caller; nothing here trusts the input. This is the one parser of ELF
// cores: VmcoreFile keeps what it finds, and everyone reads it there.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace kdk::vmcore {

struct LoadSegment {
  uint64_t phys_addr = 0;
  uint64_t virt_addr = 0;
  uint64_t file_offset = 0;
  uint64_t file_size = 0;  // bytes present in the file (clamped when it is truncated)
  uint64_t mem_size = 0;
  uint64_t missing_bytes = 0;  // of p_filesz past the end of a truncated file
};

struct NoteSegment {
  uint64_t file_offset = 0;
  uint64_t size = 0;           // bytes inside the file (clamped)
  uint64_t missing_bytes = 0;  // of p_filesz past the end of the file
};

// A program header as the file has it (any type, values unchecked): what
// ELF output copies.
struct ProgramHeader {
  uint32_t type = 0;
  uint32_t flags = 0;
  uint64_t offset = 0;
  uint64_t vaddr = 0;
  uint64_t paddr = 0;
  uint64_t filesz = 0;
  uint64_t memsz = 0;
  uint64_t align = 0;
};

inline constexpr size_t kElfHeaderSize = 64;

struct ElfCoreLayout {
  uint16_t machine = 0;  // EM_X86_64 = 62
  uint64_t phoff = 0;
  uint16_t phnum = 0;
  std::array<uint8_t, kElfHeaderSize> ehdr{};  // the header's bytes
  std::vector<ProgramHeader> headers;          // all of them, in file order
  std::vector<LoadSegment> loads;              // the PT_LOADs, checked against the file
  std::vector<NoteSegment> notes;              // the PT_NOTEs, inside the file
};

inline constexpr size_t kProgramHeaderSize = 56;

// Checks the ELF identification and returns where the program headers are.
// `ehdr` holds at least the first 64 bytes of the file.
Result<ElfCoreLayout> parse_elf_header(std::span<const uint8_t> ehdr, uint64_t file_size);

// Fills layout.headers, layout.loads and layout.notes from the program header table
// (`phdrs` = phnum * 56 bytes read at phoff).
// A PT_LOAD running past the end of the file (a truncated vmcore: a full
// disk, a copy cut short) keeps the bytes that are there: its file_size is
// clamped and missing_bytes says how much is gone, so that the dump can
// still be delivered with those pages recorded as missing. A PT_NOTE is
// clamped the same way (its notes past the end are lost, those before kept).
Status parse_program_headers(ElfCoreLayout& layout, std::span<const uint8_t> phdrs, uint64_t file_size);

struct Note {
  std::string name;  // "CORE", "VMCOREINFO", ...
  uint32_t type = 0;
  std::span<const uint8_t> desc;  // points into the blob passed to parse_notes
  uint64_t offset = 0;            // of the note header, relative to the blob
};

// Walks a PT_NOTE blob. A note running past the end is an error naming its offset.
// Zero-filled padding at the end (as /proc/vmcore has) ends the walk quietly.
Result<std::vector<Note>> parse_notes(std::span<const uint8_t> blob);
// The same walk, keeping the notes before a bad one in `out`: a damaged note
// loses what follows it, not the notes already read.
Status walk_notes(std::span<const uint8_t> blob, std::vector<Note>& out);

inline constexpr uint32_t kNtPrstatus = 1;
inline constexpr uint32_t kPtLoad = 1;
inline constexpr uint32_t kPtNote = 4;

}  // namespace kdk::vmcore
