// Per-page compression, as the kdump-compressed format stores pages: each
// page is compressed on its own, and a page that does not shrink is stored
// raw (page_desc.flags 0). One implementation per file (compress_*.cc); an
// instance is used by one thread at a time (it keeps its context).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/result.h"

namespace kdk::dump {

enum class Compression { none, zlib, lzo, zstd };

// "zstd", "zlib", "lzo", "none".
Result<Compression> parse_compression(std::string_view name);
const char* compression_name(Compression c);
// The disk_dump_header.status / page_desc.flags bit; 0 for none.
uint32_t compression_flag(Compression c);

class Compressor {
 public:
  virtual ~Compressor() = default;
  // Compresses one page into `out` (capacity max_output()). Returns the
  // compressed size, or 0 when the result is not smaller than the input or
  // the library failed: the caller then stores the page raw.
  virtual size_t compress(const uint8_t* in, size_t size, uint8_t* out) = 0;
  // Output capacity compress() needs for a page of `page_size` bytes.
  virtual size_t max_output(size_t page_size) const = 0;
};

Result<std::unique_ptr<Compressor>> make_compressor(Compression c);

// Inverse, for the reader: `flags` is a page_desc.flags value; the output
// must be exactly `out_size` bytes.
Status decompress_page(uint32_t flags, const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size);

// One file per library.
std::unique_ptr<Compressor> make_zstd_compressor(int level);
std::unique_ptr<Compressor> make_zlib_compressor(int level);
Result<std::unique_ptr<Compressor>> make_lzo_compressor();
Status zstd_decompress(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size);
Status zlib_decompress(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size);
Status lzo_decompress(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size);

}  // namespace kdk::dump
