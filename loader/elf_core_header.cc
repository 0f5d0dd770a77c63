#include "loader/elf_core_header.h"

#include <elf.h>

#include <cstring>

#include "util/format.h"

namespace kdk::loader {

namespace {

constexpr uint64_t kStartKernelMap = 0xffffffff80000000ULL;  // __START_KERNEL_map
constexpr uint64_t kModulesVaddr = 0xffffffffc0000000ULL;    // the kernel image's 1 GiB ends here

}  // namespace

std::vector<uint8_t> build_elf_core_header(const CoreHeaderInputs& in) {
  size_t nr = in.cpu_notes.size() + 1 + (in.kernel.text_size ? 1 : 0) + in.ram.size();
  size_t size = sizeof(Elf64_Ehdr) + nr * sizeof(Elf64_Phdr);
  std::vector<uint8_t> buf((size + 4095) & ~size_t{4095}, 0);

  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
  eh.e_type = ET_CORE;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = static_cast<Elf64_Half>(nr);
  std::memcpy(buf.data(), &eh, sizeof eh);

  size_t at = sizeof(Elf64_Ehdr);
  auto add = [&](const Elf64_Phdr& ph) {
    std::memcpy(buf.data() + at, &ph, sizeof ph);
    at += sizeof ph;
  };
  auto note = [&](const Range& r) {
    Elf64_Phdr ph{};
    ph.p_type = PT_NOTE;
    ph.p_offset = ph.p_paddr = r.start;
    ph.p_filesz = ph.p_memsz = r.size();
    add(ph);
  };
  for (const auto& n : in.cpu_notes) note(n);
  note(in.vmcoreinfo);
  if (in.kernel.text_size) {
    Elf64_Phdr ph{};
    ph.p_type = PT_LOAD;
    ph.p_flags = PF_R | PF_W | PF_X;
    ph.p_vaddr = in.kernel.text_vaddr;
    ph.p_offset = ph.p_paddr = in.kernel.text_paddr;
    ph.p_filesz = ph.p_memsz = in.kernel.text_size;
    add(ph);
  }
  for (const auto& r : in.ram) {
    Elf64_Phdr ph{};
    ph.p_type = PT_LOAD;
    ph.p_flags = PF_R | PF_W | PF_X;
    ph.p_offset = ph.p_paddr = r.start;
    ph.p_vaddr = in.kernel.page_offset + r.start;
    ph.p_filesz = ph.p_memsz = r.size();
    add(ph);
  }
  return buf;
}

Result<KcoreParse> parse_kcore_headers(std::span<const uint8_t> h) {
  KcoreParse out;
  if (h.size() < sizeof(Elf64_Ehdr)) {
    out.needed = sizeof(Elf64_Ehdr);
    return out;
  }
  Elf64_Ehdr eh;
  std::memcpy(&eh, h.data(), sizeof eh);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_type != ET_CORE || eh.e_phentsize != sizeof(Elf64_Phdr)) {
    return Error{"/proc/kcore: not a 64-bit ELF core header"};
  }
  if (eh.e_phoff > (1u << 20) || eh.e_phnum == PN_XNUM) {
    return Error{format("/proc/kcore: implausible program headers (%u at offset %llu)", eh.e_phnum,
                        static_cast<unsigned long long>(eh.e_phoff))};
  }
  size_t end = eh.e_phoff + size_t{eh.e_phnum} * sizeof(Elf64_Phdr);
  if (h.size() < end) {
    out.needed = end;
    return out;
  }
  bool have_text = false, have_ram = false;
  for (unsigned i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    std::memcpy(&ph, h.data() + eh.e_phoff + i * sizeof(Elf64_Phdr), sizeof ph);
    if (ph.p_type != PT_LOAD || ph.p_paddr == ~0ULL) continue;
    if (ph.p_vaddr >= kStartKernelMap && ph.p_vaddr < kModulesVaddr) {
      if (!have_text) {
        out.mapping.text_vaddr = ph.p_vaddr;
        out.mapping.text_paddr = ph.p_paddr;
        out.mapping.text_size = ph.p_memsz;
        have_text = true;
      }
    } else if (!have_ram && ph.p_vaddr >= ph.p_paddr && ph.p_vaddr >= (1ULL << 63)) {
      out.mapping.page_offset = ph.p_vaddr - ph.p_paddr;  // KCORE_RAM: vaddr = __va(paddr)
      have_ram = true;
    }
  }
  if (!have_text) return Error{"/proc/kcore: no program header for the kernel text mapping"};
  if (!have_ram) return Error{"/proc/kcore: no program header for the direct mapping of RAM"};
  return out;
}

}  // namespace kdk::loader
