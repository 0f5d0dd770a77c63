// Whether the capture initramfs is written compressed, and the zstd frame it
// is written as. The capture kernel unpacks the archive while it holds both
// the archive and the unpacked files in its small reservation, so a smaller
// archive lowers the smallest working crashkernel=.
//
// zstd is used only when the capture kernel's build configuration says it
// can unpack it (CONFIG_RD_ZSTD=y, Linux 5.9 and later); when the
// configuration is absent or says no, the archive stays uncompressed, which
// every kernel unpacks. The frame's window is kept small: the kernel's
// streaming decompressor allocates a workspace of about the window's size
// (lib/decompress_unzstd.c) while the archive and the unpacked copy coexist.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace kdk::initramfs {

enum class ArchiveCompression { kNone, kZstd };

const char* name_of(ArchiveCompression c);

struct CompressionChoice {
  ArchiveCompression compression = ArchiveCompression::kNone;
  std::string reason;  // "CONFIG_RD_ZSTD=y in /boot/config-6.1.0-31-amd64", or why not
};

// From the text of a kernel's .config; `source` names it in the reason.
CompressionChoice compression_for_kernel_config(std::string_view config_text, const std::string& source);

// Reads the capture kernel's configuration: <boot_dir>/config-<release>, else
// <modules_dir>/config (where sid's split kernel packages put it, as
// Fedora's do), else <modules_dir>/build/.config. None readable:
// uncompressed, with the reason.
CompressionChoice choose_archive_compression(const std::string& release, const std::string& modules_dir,
                                             const std::string& boot_dir = "/boot");

// The frame the kernel is given: one frame with a checksum, no dictionary,
// a window of 2^kZstdWindowLog bytes (the kernel accepts up to 2^27 on
// 64-bit; its workspace grows with the window). On the 6.5 MB binary
// (zstd 1.5.4): level 9 with a 128 KiB window gives 3.08 MB in about 0.4 s;
// a 1 MiB window saves 0.13 MB of archive but costs 0.9 MiB of workspace;
// level 19 saves 0.3 MB more but takes 15-30 s (minutes under TCG).
inline constexpr int kZstdWindowLog = 17;
inline constexpr int kZstdLevel = 9;
// What the kernel allocates to unpack such a frame: the window, its 128 KiB
// input and output buffers, the stream's own buffers and the decompression
// context (rounded up).
inline constexpr uint64_t kZstdUnpackWorkspaceBytes = (uint64_t{1} << kZstdWindowLog) + (512 << 10);

// Compresses everything readable from in_fd into out_fd as one zstd frame.
Status zstd_compress_fd(int in_fd, int out_fd, const std::string& what);

// True when the bytes start with the zstd frame magic.
bool is_zstd(std::string_view bytes);

// The decompressed bytes of a zstd archive (for `estimate`), refusing frames
// whose window the kernel would not accept and output beyond `limit` bytes.
Result<std::string> zstd_decompress_archive(std::string_view compressed, uint64_t limit,
                                            const std::string& what);

}  // namespace kdk::initramfs
