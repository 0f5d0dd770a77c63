// PageBackend over an ELF core's PT_LOAD file bytes: one mmap window
// (>= 4 MiB) at a time, pread when mmap fails.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/vmcore/page_backend.h"

namespace kdk::vmcore {

// `fd` is not owned: the VmcoreFile outlives the backend.
std::unique_ptr<PageBackend> make_elf_pages(int fd, std::string path, uint64_t file_size, uint64_t page_size,
                                            uint64_t window_bytes);

}  // namespace kdk::vmcore
