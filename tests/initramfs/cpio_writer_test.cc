#include "initramfs/cpio_writer.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "util/fd.h"
#include "tests/lib/test_env.h"

namespace kdk::initramfs {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

// Field order of a newc header after the 6-byte magic.
enum Field {
  kIno,
  kMode,
  kUid,
  kGid,
  kNlink,
  kMtime,
  kFilesize,
  kDevMajor,
  kDevMinor,
  kRdevMajor,
  kRdevMinor,
  kNamesize,
  kCheck,
  kFieldCount
};

struct ParsedEntry {
  std::string name;
  unsigned long fields[kFieldCount];
  std::string data;
};

size_t round4(size_t n) { return (n + 3) & ~size_t{3}; }

// An independent reader, strict about alignment, so the tests do not trust
// the writer's own idea of the layout.
std::vector<ParsedEntry> parse_newc(const std::string& bytes) {
  std::vector<ParsedEntry> out;
  size_t off = 0;
  for (;;) {
    REQUIRE(off % 4 == 0);
    REQUIRE(off + 110 <= bytes.size());
    REQUIRE(bytes.substr(off, 6) == "070701");
    ParsedEntry e{};
    for (int i = 0; i < kFieldCount; ++i) {
      std::string hex = bytes.substr(off + 6 + 8 * static_cast<size_t>(i), 8);
      e.fields[i] = std::stoul(hex, nullptr, 16);
    }
    const size_t namesize = e.fields[kNamesize];
    REQUIRE(namesize >= 1);
    e.name = bytes.substr(off + 110, namesize - 1);
    REQUIRE(bytes[off + 110 + namesize - 1] == '\0');
    off = round4(off + 110 + namesize);
    e.data = bytes.substr(off, e.fields[kFilesize]);
    off = round4(off + e.fields[kFilesize]);
    const bool trailer = e.name == "TRAILER!!!";
    out.push_back(std::move(e));
    if (trailer) break;
  }
  // Everything after the trailer is block padding.
  REQUIRE(bytes.size() % 512 == 0);
  REQUIRE(bytes.find_first_not_of('\0', off) == std::string::npos);
  return out;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/kdk-cpio-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes through a real file descriptor (as the product does) and returns
// the bytes plus the file path for the external cpio tool.
std::string write_archive(const CpioArchive& archive, const std::string& file) {
  auto fd = open_fd(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd.ok());
  Status st = archive.write_to(fd->get(), file);
  INFO((st.ok() ? std::string() : st.error().message));
  REQUIRE(st.ok());
  auto bytes = read_file(file);
  REQUIRE(bytes.ok());
  return *bytes;
}

std::string archive_bytes(const CpioArchive& archive) {
  TempDir dir;
  return write_archive(archive, dir.path() + "/archive.cpio");
}

std::string run(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  INFO(command << "\n" << out);
  REQUIRE(status == 0);
  return out;
}

const ParsedEntry* find(const std::vector<ParsedEntry>& entries, const std::string& name) {
  for (const ParsedEntry& e : entries) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::vector<std::string> names(const std::vector<ParsedEntry>& entries) {
  std::vector<std::string> out;
  for (const ParsedEntry& e : entries) out.push_back(e.name);
  return out;
}

TEST_CASE("cpio: a one-file archive has the exact newc byte layout", "[initramfs][cpio]") {
  CpioArchive archive;
  archive.add_file("/init", "hi", 0755);
  const std::string bytes = archive_bytes(archive);

  // Header (110) + "init\0" (5) = 115, padded to 116; data 2, padded to 4.
  const std::string expected_entry =
      "070701"
      "00000001"  // ino
      "000081ED"  // mode: regular file 0755
      "00000000"  // uid
      "00000000"  // gid
      "00000001"  // nlink
      "00000000"  // mtime
      "00000002"  // filesize
      "00000000"  // devmajor
      "00000000"  // devminor
      "00000000"  // rdevmajor
      "00000000"  // rdevminor
      "00000005"  // namesize, with the NUL
      "00000000"  // check
      "init\0"
      "\0"
      "hi\0\0"s;
  REQUIRE(bytes.size() == 512);
  CHECK(bytes.substr(0, expected_entry.size()) == expected_entry);

  // Trailer: 110 + "TRAILER!!!\0" (11) = 121, padded to 124.
  const size_t trailer_at = expected_entry.size();
  CHECK(trailer_at == 120);
  const std::string expected_trailer =
      "070701"
      "00000000"
      "00000000"
      "00000000"
      "00000000"
      "00000001"
      "00000000"
      "00000000"
      "00000000"
      "00000000"
      "00000000"
      "00000000"
      "0000000B"
      "00000000"
      "TRAILER!!!\0"
      "\0\0\0"s;
  CHECK(bytes.substr(trailer_at, expected_trailer.size()) == expected_trailer);
  CHECK(bytes.find_first_not_of('\0', trailer_at + expected_trailer.size()) == std::string::npos);

  auto entries = parse_newc(bytes);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].name == "init");
  CHECK(entries[0].data == "hi");
}

CpioArchive sample_archive(const std::string& host_file) {
  CpioArchive a;
  a.add_file("/etc/kdumpkit.conf", "path /var/crash\n");
  a.add_file("/init", "#!/bin/sh\n", 0755);
  a.add_symlink("/bin/sh", "busybox");
  a.add_host_file("/bin/busybox", host_file, 0755);
  a.add_char_device("/dev/console", 5, 1);
  a.add_directory("/proc", 0555);
  return a;
}

TEST_CASE("cpio: writing the same archive twice gives identical bytes", "[initramfs][cpio]") {
  TempDir dir;
  const std::string host = dir.path() + "/busybox";
  REQUIRE(write_file(host, std::string(100000, 'x')).ok());
  CpioArchive a = sample_archive(host);
  const std::string first = write_archive(a, dir.path() + "/1.cpio");
  const std::string second = write_archive(a, dir.path() + "/2.cpio");
  CHECK(first == second);
  CHECK(first.size() % 512 == 0);
}

TEST_CASE("cpio: the order of add_* calls does not change the bytes", "[initramfs][cpio]") {
  TempDir dir;
  const std::string host = dir.path() + "/busybox";
  REQUIRE(write_file(host, "binary").ok());

  CpioArchive forward = sample_archive(host);
  CpioArchive backward;
  backward.add_directory("/proc", 0555);
  backward.add_char_device("/dev/console", 5, 1);
  backward.add_host_file("/bin/busybox", host, 0755);
  backward.add_symlink("/bin/sh", "busybox");
  backward.add_file("/init", "#!/bin/sh\n", 0755);
  backward.add_file("/etc/kdumpkit.conf", "path /var/crash\n");

  const std::string a = archive_bytes(forward);
  const std::string b = archive_bytes(backward);
  CHECK(a == b);

  auto entries = parse_newc(a);
  std::vector<std::string> expected = {"bin", "bin/busybox",       "bin/sh", "dev",  "dev/console",
                                       "etc", "etc/kdumpkit.conf", "init",   "proc", "TRAILER!!!"};
  CHECK(names(entries) == expected);
  for (size_t i = 0; i + 1 < entries.size(); ++i) {
    INFO(entries[i].name);
    CHECK(entries[i].fields[kIno] == i + 1);
    CHECK(entries[i].fields[kMtime] == 0);
    CHECK(entries[i].fields[kUid] == 0);
    CHECK(entries[i].fields[kGid] == 0);
    CHECK(entries[i].fields[kDevMajor] == 0);
    CHECK(entries[i].fields[kDevMinor] == 0);
    CHECK(entries[i].fields[kCheck] == 0);
  }
}

TEST_CASE("cpio: parent directories are added implicitly with mode 0755", "[initramfs][cpio]") {
  CpioArchive a;
  a.add_file("/lib/modules/6.1.0/kernel/fs/ext4.ko", "elf");
  a.add_directory("/lib/modules", 0700);  // explicit mode wins over the implicit one
  a.add_file("//lib//firmware/", "fw");   // slashes are normalized
  auto entries = parse_newc(archive_bytes(a));
  std::vector<std::string> expected = {"lib",
                                       "lib/firmware",
                                       "lib/modules",
                                       "lib/modules/6.1.0",
                                       "lib/modules/6.1.0/kernel",
                                       "lib/modules/6.1.0/kernel/fs",
                                       "lib/modules/6.1.0/kernel/fs/ext4.ko",
                                       "TRAILER!!!"};
  REQUIRE(names(entries) == expected);
  for (const char* dir : {"lib", "lib/modules/6.1.0", "lib/modules/6.1.0/kernel/fs"}) {
    INFO(dir);
    CHECK(find(entries, dir)->fields[kMode] == (S_IFDIR | 0755));
    CHECK(find(entries, dir)->fields[kNlink] == 2);
    CHECK(find(entries, dir)->fields[kFilesize] == 0);
  }
  CHECK(find(entries, "lib/modules")->fields[kMode] == (S_IFDIR | 0700));
  CHECK(find(entries, "lib/firmware")->fields[kMode] == (S_IFREG | 0644));
  CHECK(find(entries, "lib/firmware")->data == "fw");
}

TEST_CASE("cpio: /dev/console is char device 5,1 with the archive's own dev fields zero",
          "[initramfs][cpio]") {
  CpioArchive a;
  a.add_char_device("/dev/console", 5, 1);
  a.add_symlink("/bin/sh", "busybox");
  auto entries = parse_newc(archive_bytes(a));
  const ParsedEntry* console = find(entries, "dev/console");
  REQUIRE(console != nullptr);
  CHECK(console->fields[kMode] == (S_IFCHR | 0600));
  CHECK(console->fields[kRdevMajor] == 5);
  CHECK(console->fields[kRdevMinor] == 1);
  CHECK(console->fields[kDevMajor] == 0);
  CHECK(console->fields[kDevMinor] == 0);
  CHECK(console->fields[kNlink] == 1);
  CHECK(console->fields[kFilesize] == 0);

  const ParsedEntry* sh = find(entries, "bin/sh");
  REQUIRE(sh != nullptr);
  CHECK(sh->fields[kMode] == (S_IFLNK | 0777));
  CHECK(sh->data == "busybox");
  CHECK(sh->fields[kRdevMajor] == 0);
  CHECK(sh->fields[kRdevMinor] == 0);
}

TEST_CASE("cpio: adding a path twice keeps the last definition", "[initramfs][cpio]") {
  CpioArchive a;
  a.add_file("/init", "old");
  a.add_file("/init", "new", 0700);
  auto entries = parse_newc(archive_bytes(a));
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].data == "new");
  CHECK(entries[0].fields[kMode] == (S_IFREG | 0700));
}

TEST_CASE("cpio: host files are read at write time", "[initramfs][cpio]") {
  TempDir dir;
  const std::string host = dir.path() + "/module.ko";
  std::string contents;
  for (int i = 0; i < 300000; ++i) contents.push_back(static_cast<char>(i * 7));
  REQUIRE(write_file(host, "will be replaced").ok());
  CpioArchive a;
  a.add_host_file("/lib/modules/x.ko", host);
  REQUIRE(write_file(host, contents).ok());
  auto entries = parse_newc(archive_bytes(a));
  const ParsedEntry* ko = find(entries, "lib/modules/x.ko");
  REQUIRE(ko != nullptr);
  CHECK(ko->fields[kFilesize] == contents.size());
  CHECK(ko->data == contents);
  CHECK(ko->fields[kMode] == (S_IFREG | 0644));
}

TEST_CASE("cpio: a missing host file is an error naming both paths", "[initramfs][cpio]") {
  TempDir dir;
  CpioArchive a;
  a.add_host_file("/bin/kdumpkit", "/nonexistent/kdumpkit", 0755);
  auto fd = open_fd(dir.path() + "/out.cpio", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd.ok());
  Status st = a.write_to(fd->get(), "initrd.img");
  REQUIRE_FALSE(st.ok());
  INFO(st.error().message);
  CHECK_THAT(st.error().message, Catch::Contains("/bin/kdumpkit"));
  CHECK_THAT(st.error().message, Catch::Contains("/nonexistent/kdumpkit"));
  CHECK_THAT(st.error().message, Catch::Contains("initrd.img"));
  CHECK(st.error().errno_value == ENOENT);
}

TEST_CASE("cpio: a file used as a parent directory is an error", "[initramfs][cpio]") {
  CpioArchive a;
  a.add_file("/lib/modules/x.ko", "elf");
  a.add_file("/lib", "not a directory");
  TempDir dir;
  auto fd = open_fd(dir.path() + "/out.cpio", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd.ok());
  Status st = a.write_to(fd->get(), "out.cpio");
  REQUIRE_FALSE(st.ok());
  CHECK_THAT(st.error().message, Catch::Contains("/lib/modules is inside /lib"));
}

TEST_CASE("cpio: listing shows one ls-like line per entry", "[initramfs][cpio]") {
  TempDir dir;
  const std::string host = dir.path() + "/busybox";
  REQUIRE(write_file(host, std::string(1234, 'b')).ok());
  CpioArchive a = sample_archive(host);
  a.add_host_file("/bin/missing", dir.path() + "/missing");
  const std::string expected =
      "drwxr-xr-x          0 bin/\n"
      "-rwxr-xr-x       1234 bin/busybox <- " +
      host + "\n" + "-rw-r--r--    missing bin/missing <- " + dir.path() + "/missing\n" +
      "lrwxrwxrwx          0 bin/sh -> busybox\n"
      "drwxr-xr-x          0 dev/\n"
      "crw-------        5,1 dev/console\n"
      "drwxr-xr-x          0 etc/\n"
      "-rw-r--r--         16 etc/kdumpkit.conf\n"
      "-rwxr-xr-x         10 init\n"
      "dr-xr-xr-x          0 proc/\n";
  CHECK(a.listing() == expected);
}

TEST_CASE("cpio: GNU cpio lists the archive, device numbers and symlink", "[initramfs][cpio]") {
  kdk::test::require_tool("cpio", "cpio");
  TempDir dir;
  const std::string host = dir.path() + "/busybox";
  REQUIRE(write_file(host, "binary").ok());
  const std::string file = dir.path() + "/archive.cpio";
  write_archive(sample_archive(host), file);

  CHECK(run("cpio -t --quiet < " + file) ==
        "bin\nbin/busybox\nbin/sh\ndev\ndev/console\netc\netc/kdumpkit.conf\ninit\nproc\n");

  const std::string verbose = run("cpio -itv --quiet < " + file);
  INFO(verbose);
  CHECK_THAT(verbose,
             Catch::Matches(R"((.|\n)*crw------- +1 +\S+ +\S+ +5, +1 .* dev/console\n(.|\n)*)"));
  CHECK_THAT(verbose, Catch::Contains("bin/sh -> busybox\n"));
  CHECK_THAT(verbose, Catch::Matches(R"((.|\n)*dr-xr-xr-x +2 .* proc\n(.|\n)*)"));
}

TEST_CASE("cpio: GNU cpio extracts the same contents and modes", "[initramfs][cpio]") {
  kdk::test::require_tool("cpio", "cpio");
  TempDir dir;
  const std::string host = dir.path() + "/busybox";
  std::string big(5 * 1024 * 1024 + 3, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i % 251);
  REQUIRE(write_file(host, big).ok());

  // No device node: mknod needs privileges the test may not have.
  CpioArchive a;
  a.add_file("/etc/kdumpkit.conf", "path /var/crash\n");
  a.add_file("/init", "#!/bin/sh\n", 0755);
  a.add_file("/empty", "");
  a.add_symlink("/bin/sh", "busybox");
  a.add_host_file("/bin/busybox", host, 0755);
  a.add_directory("/secret", 0700);
  const std::string file = dir.path() + "/archive.cpio";
  write_archive(a, file);

  const std::string root = dir.path() + "/root";
  REQUIRE(fs::create_directory(root));
  run("cd " + root + " && cpio -idm --quiet < " + file + " 2>&1");

  auto mode_of = [&](const std::string& p) {
    struct stat st {};
    REQUIRE(::lstat((root + p).c_str(), &st) == 0);
    return st.st_mode;
  };
  CHECK(*read_file(root + "/etc/kdumpkit.conf") == "path /var/crash\n");
  CHECK(*read_file(root + "/init") == "#!/bin/sh\n");
  CHECK(*read_file(root + "/empty") == "");
  CHECK(*read_file(root + "/bin/busybox") == big);
  CHECK(fs::read_symlink(root + "/bin/sh") == "busybox");
  CHECK(mode_of("/etc/kdumpkit.conf") == (S_IFREG | 0644));
  CHECK(mode_of("/init") == (S_IFREG | 0755));
  CHECK(mode_of("/bin/busybox") == (S_IFREG | 0755));
  CHECK(mode_of("/bin") == (S_IFDIR | 0755));
  CHECK(mode_of("/secret") == (S_IFDIR | 0700));
  CHECK(S_ISLNK(mode_of("/bin/sh")));
}

}  // namespace
}  // namespace kdk::initramfs
