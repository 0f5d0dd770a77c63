#include <lzo/lzo1x.h>

#include <vector>

#include "engine/format/compressor.h"
#include "util/format.h"

namespace kdk::dump {

namespace {

class LzoCompressor final : public Compressor {
 public:
  LzoCompressor() : work_(LZO1X_1_MEM_COMPRESS) {}

  size_t compress(const uint8_t* in, size_t size, uint8_t* out) override {
    lzo_uint n = 0;
    if (lzo1x_1_compress(in, size, out, &n, work_.data()) != LZO_E_OK || n >= size) return 0;
    return n;
  }
  // LZO's documented worst case for incompressible input.
  size_t max_output(size_t page_size) const override { return page_size + page_size / 16 + 64 + 3; }

 private:
  std::vector<uint8_t> work_;
};

bool lzo_ready() {
  static const bool ok = lzo_init() == LZO_E_OK;
  return ok;
}

}  // namespace

Result<std::unique_ptr<Compressor>> make_lzo_compressor() {
  if (!lzo_ready()) return Error{"lzo: lzo_init failed"};
  return std::unique_ptr<Compressor>(new LzoCompressor);
}

Status lzo_decompress(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  if (!lzo_ready()) return Error{"lzo: lzo_init failed"};
  lzo_uint n = out_size;
  int err = lzo1x_decompress_safe(in, in_size, out, &n, nullptr);
  if (err != LZO_E_OK) return Error{format("lzo: decompression failed (%d)", err)};
  if (n != out_size)
    return Error{
        format("lzo: page decompressed to %zu bytes, expected %zu", static_cast<size_t>(n), out_size)};
  return {};
}

}  // namespace kdk::dump
