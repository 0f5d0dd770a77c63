#include "initramfs/archive_compression.h"

#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_getFrameHeader
#include <zstd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "util/fd.h"
#include "util/format.h"
#include "util/text.h"

namespace kdk::initramfs {

namespace {

// The largest window the kernel's initramfs decompressor accepts on 64-bit.
constexpr uint64_t kKernelMaxWindow = uint64_t{1} << 27;

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

Status zstd_status(size_t rc, const std::string& what) {
  if (ZSTD_isError(rc)) return Error{format("%s: zstd: %s", what.c_str(), ZSTD_getErrorName(rc))};
  return {};
}

}  // namespace

const char* name_of(ArchiveCompression c) { return c == ArchiveCompression::kZstd ? "zstd" : "uncompressed"; }

CompressionChoice compression_for_kernel_config(std::string_view text, const std::string& source) {
  for (std::string_view line : lines(text)) {
    if (line == "CONFIG_RD_ZSTD=y") return {ArchiveCompression::kZstd, "CONFIG_RD_ZSTD=y in " + source};
    if (line == "# CONFIG_RD_ZSTD is not set")
      return {ArchiveCompression::kNone, "CONFIG_RD_ZSTD is not set in " + source};
  }
  return {ArchiveCompression::kNone, source + " has no CONFIG_RD_ZSTD (a kernel before 5.9?)"};
}

CompressionChoice choose_archive_compression(const std::string& release, const std::string& modules_dir,
                                             const std::string& boot_dir) {
  for (const std::string& path :
       {boot_dir + "/config-" + release, modules_dir + "/config", modules_dir + "/build/.config"}) {
    if (auto text = read_file(path)) return compression_for_kernel_config(*text, path);
  }
  return {
      ArchiveCompression::kNone,
      format("no kernel configuration (%s/config-%s, %s/config, %s/build/.config) says whether the kernel "
             "unpacks zstd",
             boot_dir.c_str(), release.c_str(), modules_dir.c_str(), modules_dir.c_str())};
}

Status zstd_compress_fd(int in_fd, int out_fd, const std::string& what) {
  std::unique_ptr<ZSTD_CCtx, CCtxFree> cctx(ZSTD_createCCtx());
  if (!cctx) return Error{what + ": zstd: cannot allocate a compression context"};
  for (auto [param, value] :
       {std::pair{ZSTD_c_compressionLevel, kZstdLevel}, std::pair{ZSTD_c_windowLog, kZstdWindowLog},
        std::pair{ZSTD_c_checksumFlag, 1}}) {
    if (auto s = zstd_status(ZSTD_CCtx_setParameter(cctx.get(), param, value), what); !s) return s;
  }
  std::vector<char> in(ZSTD_CStreamInSize()), out(ZSTD_CStreamOutSize());
  for (;;) {
    ssize_t n = ::read(in_fd, in.data(), in.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, "read " + what);
    }
    const ZSTD_EndDirective mode = n == 0 ? ZSTD_e_end : ZSTD_e_continue;
    ZSTD_inBuffer input{in.data(), static_cast<size_t>(n), 0};
    size_t left;
    do {
      ZSTD_outBuffer output{out.data(), out.size(), 0};
      left = ZSTD_compressStream2(cctx.get(), &output, &input, mode);
      if (auto s = zstd_status(left, what); !s) return s;
      if (auto s = write_all(out_fd, out.data(), output.pos, what); !s) return s;
    } while (mode == ZSTD_e_end ? left != 0 : input.pos < input.size);
    if (n == 0) return {};
  }
}

bool is_zstd(std::string_view b) {
  return b.size() >= 4 && static_cast<uint8_t>(b[0]) == 0x28 && static_cast<uint8_t>(b[1]) == 0xb5 &&
         static_cast<uint8_t>(b[2]) == 0x2f && static_cast<uint8_t>(b[3]) == 0xfd;
}

Result<std::string> zstd_decompress_archive(std::string_view compressed, uint64_t limit,
                                            const std::string& what) {
  ZSTD_frameHeader header{};
  size_t rc = ZSTD_getFrameHeader(&header, compressed.data(), compressed.size());
  if (ZSTD_isError(rc) || rc != 0) return Error{what + ": not a complete zstd frame header"};
  if (header.windowSize > kKernelMaxWindow) {
    return Error{format("%s: zstd window of %llu bytes, more than the kernel's limit of %llu", what.c_str(),
                        static_cast<unsigned long long>(header.windowSize),
                        static_cast<unsigned long long>(kKernelMaxWindow))};
  }
  std::unique_ptr<ZSTD_DCtx, DCtxFree> dctx(ZSTD_createDCtx());
  if (!dctx) return Error{what + ": zstd: cannot allocate a decompression context"};
  std::string result;
  std::vector<char> out(ZSTD_DStreamOutSize());
  ZSTD_inBuffer input{compressed.data(), compressed.size(), 0};
  for (;;) {
    ZSTD_outBuffer output{out.data(), out.size(), 0};
    size_t left = ZSTD_decompressStream(dctx.get(), &output, &input);
    if (auto s = zstd_status(left, what); !s) return s.error();
    if (output.pos > limit - result.size()) {
      return Error{format("%s: unpacks to more than %llu bytes", what.c_str(),
                          static_cast<unsigned long long>(limit))};
    }
    result.append(out.data(), output.pos);
    if (left == 0) break;  // the frame is complete; the kernel skips zero padding after it
    if (input.pos == input.size && output.pos < output.size)
      return Error{what + ": the zstd frame is truncated"};
  }
  return result;
}

}  // namespace kdk::initramfs
