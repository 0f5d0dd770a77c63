#include "initramfs/archive_compression.h"

#include <sys/mman.h>
#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_getFrameHeader
#include <zstd.h>

#include <catch2/catch.hpp>
#include <string>

#include "initramfs/cpio_writer.h"
#include "tests/initramfs/temp_tree.h"
#include "util/fd.h"

namespace kdk::initramfs {
namespace {

UniqueFd memory_file() {
  int fd = ::memfd_create("archive-compression-test", MFD_CLOEXEC);
  REQUIRE(fd >= 0);
  return UniqueFd(fd);
}

std::string contents_of(int fd) {
  REQUIRE(::lseek(fd, 0, SEEK_SET) == 0);
  std::string out;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

// An archive like the capture's: a large file that compresses (a binary's
// repetitive code), a small one, a device and a symlink.
CpioArchive sample_archive() {
  CpioArchive a;
  std::string big;
  for (int i = 0; big.size() < 3 << 20; i++) big += "kdumpkit capture line " + std::to_string(i % 977) + "\n";
  a.add_file("/init", big, 0755);
  a.add_file("/etc/kdumpkit.conf", "target = disk:LABEL=kdumpdata:/var/crash\n");
  a.add_char_device("/dev/console", 5, 1);
  a.add_symlink("/bin/sh", "/init");
  return a;
}

std::string compressed_archive(const CpioArchive& a, std::string* plain) {
  UniqueFd cpio = memory_file();
  REQUIRE(a.write_to(cpio.get(), "test.cpio").ok());
  *plain = contents_of(cpio.get());
  REQUIRE(::lseek(cpio.get(), 0, SEEK_SET) == 0);
  UniqueFd out = memory_file();
  Status st = zstd_compress_fd(cpio.get(), out.get(), "test.img");
  INFO((st ? std::string() : st.error().message));
  REQUIRE(st.ok());
  return contents_of(out.get());
}

TEST_CASE("archive compression: zstd only when the kernel's configuration has CONFIG_RD_ZSTD=y",
          "[initramfs][compression]") {
  auto yes = compression_for_kernel_config("CONFIG_RD_GZIP=y\nCONFIG_RD_ZSTD=y\nCONFIG_RD_XZ=y\n",
                                           "/boot/config-6.1");
  CHECK(yes.compression == ArchiveCompression::kZstd);
  CHECK(yes.reason == "CONFIG_RD_ZSTD=y in /boot/config-6.1");
  auto no = compression_for_kernel_config("CONFIG_RD_GZIP=y\n# CONFIG_RD_ZSTD is not set\n", "c");
  CHECK(no.compression == ArchiveCompression::kNone);
  CHECK(no.reason == "CONFIG_RD_ZSTD is not set in c");
  auto old = compression_for_kernel_config("CONFIG_RD_GZIP=y\nCONFIG_RD_ZSTDX=y\n", "c");
  CHECK(old.compression == ArchiveCompression::kNone);
  CHECK(old.reason.find("has no CONFIG_RD_ZSTD") != std::string::npos);
  CHECK(compression_for_kernel_config("", "c").compression == ArchiveCompression::kNone);
}

TEST_CASE(
    "archive compression: /boot/config-REL first, then the modules' config and build/.config, else "
    "uncompressed",
    "[initramfs][compression]") {
  testing::TempTree t;
  const std::string boot = t.path + "/boot", modules = t.path + "/lib/modules/6.1.0-9-amd64";
  auto none = choose_archive_compression("6.1.0-9-amd64", modules, boot);
  CHECK(none.compression == ArchiveCompression::kNone);
  CHECK(none.reason.find(boot + "/config-6.1.0-9-amd64") != std::string::npos);

  t.put("lib/modules/6.1.0-9-amd64/build/.config", "CONFIG_RD_ZSTD=y\n");
  auto build = choose_archive_compression("6.1.0-9-amd64", modules, boot);
  CHECK(build.compression == ArchiveCompression::kZstd);
  CHECK(build.reason == "CONFIG_RD_ZSTD=y in " + modules + "/build/.config");

  t.put("lib/modules/6.1.0-9-amd64/config", "# CONFIG_RD_ZSTD is not set\n");
  auto modules_config = choose_archive_compression("6.1.0-9-amd64", modules, boot);
  CHECK(modules_config.compression == ArchiveCompression::kNone);
  CHECK(modules_config.reason == "CONFIG_RD_ZSTD is not set in " + modules + "/config");

  t.put("boot/config-6.1.0-9-amd64", "# CONFIG_RD_ZSTD is not set\n");
  t.put("lib/modules/6.1.0-9-amd64/config", "CONFIG_RD_ZSTD=y\n");
  auto boot_says_no = choose_archive_compression("6.1.0-9-amd64", modules, boot);
  CHECK(boot_says_no.compression == ArchiveCompression::kNone);
  CHECK(boot_says_no.reason == "CONFIG_RD_ZSTD is not set in " + boot + "/config-6.1.0-9-amd64");
}

TEST_CASE("archive compression: one zstd frame that libzstd unpacks to the exact cpio bytes",
          "[initramfs][compression]") {
  std::string plain;
  const std::string z = compressed_archive(sample_archive(), &plain);
  REQUIRE(is_zstd(z));
  CHECK(z.size() < plain.size() / 4);
  // One frame, nothing after it.
  CHECK(ZSTD_findFrameCompressedSize(z.data(), z.size()) == z.size());
  // libzstd itself, not our reader, gives back the archive.
  std::string back(plain.size() + 1, '\0');
  size_t n = ZSTD_decompress(back.data(), back.size(), z.data(), z.size());
  REQUIRE_FALSE(ZSTD_isError(n));
  back.resize(n);
  CHECK(back == plain);
  // And so does the reader `estimate` uses.
  auto ours = zstd_decompress_archive(z, plain.size(), "test.img");
  REQUIRE(ours.ok());
  CHECK(*ours == plain);
}

TEST_CASE("archive compression: the frame's window is the small one the kernel unpacks with little memory",
          "[initramfs][compression]") {
  std::string plain;
  const std::string z = compressed_archive(sample_archive(), &plain);
  ZSTD_frameHeader h{};
  REQUIRE(ZSTD_getFrameHeader(&h, z.data(), z.size()) == 0);
  CHECK(h.windowSize <= (uint64_t{1} << kZstdWindowLog));
  CHECK(h.windowSize < plain.size());  // the kernel's workspace does not grow with the archive
  CHECK(h.checksumFlag == 1);
  CHECK(h.dictID == 0);
}

TEST_CASE("archive compression: the reader refuses truncated frames, oversized output and huge windows",
          "[initramfs][compression]") {
  std::string plain;
  const std::string z = compressed_archive(sample_archive(), &plain);
  auto cut = zstd_decompress_archive(std::string_view(z).substr(0, z.size() / 2), 1 << 30, "cut.img");
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.error().message.find("cut.img") != std::string::npos);
  auto small = zstd_decompress_archive(z, plain.size() - 1, "small.img");
  REQUIRE_FALSE(small.ok());
  CHECK(small.error().message.find("more than") != std::string::npos);

  // A frame streamed with a 256 MiB window: more than the kernel accepts.
  ZSTD_CCtx* c = ZSTD_createCCtx();
  REQUIRE(c != nullptr);
  ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, 28);
  std::string out(ZSTD_compressBound(plain.size()) + 1024, '\0');
  ZSTD_outBuffer o{out.data(), out.size(), 0};
  ZSTD_inBuffer i{plain.data(), plain.size(), 0};
  REQUIRE_FALSE(ZSTD_isError(ZSTD_compressStream2(c, &o, &i, ZSTD_e_continue)));
  ZSTD_inBuffer none{nullptr, 0, 0};
  REQUIRE(ZSTD_compressStream2(c, &o, &none, ZSTD_e_end) == 0);
  ZSTD_freeCCtx(c);
  out.resize(o.pos);
  auto huge = zstd_decompress_archive(out, 1 << 30, "huge.img");
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.error().message.find("window") != std::string::npos);
}

TEST_CASE("archive compression: an uncompressed archive is not taken for zstd", "[initramfs][compression]") {
  CHECK_FALSE(is_zstd("070701"));
  CHECK_FALSE(is_zstd(""));
  CHECK(is_zstd(std::string("\x28\xb5\x2f\xfd", 4)));
}

}  // namespace
}  // namespace kdk::initramfs
