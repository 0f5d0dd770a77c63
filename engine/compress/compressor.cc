#include "engine/format/compressor.h"

#include <cstring>

#include "engine/format/kdump_layout.h"
#include "util/format.h"

namespace kdk::dump {

namespace {

// makedumpfile's levels: zlib's Z_BEST_SPEED for -c, zstd level 1 for -z.
constexpr int kZlibLevel = 1;
constexpr int kZstdLevel = 1;

class NoCompressor final : public Compressor {
 public:
  size_t compress(const uint8_t*, size_t, uint8_t*) override { return 0; }
  size_t max_output(size_t page_size) const override { return page_size; }
};

}  // namespace

Result<Compression> parse_compression(std::string_view name) {
  if (name == "zstd") return Compression::zstd;
  if (name == "zlib") return Compression::zlib;
  if (name == "lzo") return Compression::lzo;
  if (name == "none") return Compression::none;
  return Error{format("unknown compression '%.*s' (zstd, zlib, lzo or none)", static_cast<int>(name.size()),
                      name.data())};
}

const char* compression_name(Compression c) {
  switch (c) {
    case Compression::zstd:
      return "zstd";
    case Compression::zlib:
      return "zlib";
    case Compression::lzo:
      return "lzo";
    case Compression::none:
      return "none";
  }
  return "?";
}

uint32_t compression_flag(Compression c) {
  switch (c) {
    case Compression::zstd:
      return kCompressedZstd;
    case Compression::zlib:
      return kCompressedZlib;
    case Compression::lzo:
      return kCompressedLzo;
    case Compression::none:
      return 0;
  }
  return 0;
}

Result<std::unique_ptr<Compressor>> make_compressor(Compression c) {
  switch (c) {
    case Compression::zstd:
      return make_zstd_compressor(kZstdLevel);
    case Compression::zlib:
      return make_zlib_compressor(kZlibLevel);
    case Compression::lzo:
      return make_lzo_compressor();
    case Compression::none:
      return std::unique_ptr<Compressor>(new NoCompressor);
  }
  return Error{"unknown compression"};
}

Status decompress_page(uint32_t flags, const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  if (flags == 0) {
    if (in_size != out_size) {
      return Error{format("raw page holds %zu bytes, expected %zu", in_size, out_size)};
    }
    std::memcpy(out, in, out_size);
    return {};
  }
  if (flags & kCompressedZstd) return zstd_decompress(in, in_size, out, out_size);
  if (flags & kCompressedZlib) return zlib_decompress(in, in_size, out, out_size);
  if (flags & kCompressedLzo) return lzo_decompress(in, in_size, out, out_size);
  return Error{format("unsupported page compression flags 0x%x", flags)};
}

}  // namespace kdk::dump
