#include "initramfs/module_index.h"

#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "util/fd.h"
#include "tests/lib/test_env.h"

namespace kdk::initramfs {
namespace {

namespace fs = std::filesystem;

using Files = std::map<std::string, std::string>;

// A fake /lib/modules/<release> holding only the index files.
class FakeModulesDir {
 public:
  explicit FakeModulesDir(const std::map<std::string, std::string>& files) {
    char tmpl[] = "/tmp/kdk-modules-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
    for (const auto& [name, text] : files) {
      REQUIRE(write_file(path_ + "/" + name, text).ok());
    }
  }
  FakeModulesDir(const FakeModulesDir&) = delete;
  FakeModulesDir& operator=(const FakeModulesDir&) = delete;
  ~FakeModulesDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const char* const kDep =
    "kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko kernel/lib/crc16.ko\n"
    "kernel/fs/jbd2/jbd2.ko:\n"
    "kernel/fs/mbcache.ko:\n"
    "kernel/lib/crc16.ko:\n"
    "kernel/crypto/crc32c_generic.ko:\n"
    "kernel/arch/x86/crypto/crc32c-intel.ko.zst:\n"
    "kernel/drivers/md/dm-mod.ko.gz:\n"
    "kernel/drivers/block/virtio_blk.ko.xz: kernel/drivers/virtio/virtio.ko.xz "
    "kernel/drivers/virtio/virtio_ring.ko.xz\n"
    "kernel/drivers/virtio/virtio.ko.xz: kernel/drivers/virtio/virtio_ring.ko.xz\n"
    "kernel/drivers/virtio/virtio_ring.ko.xz:\n"
    "kernel/net/a.ko:\n"
    "kernel/net/b.ko:\n";

const char* const kAlias =
    "# Aliases extracted from modules themselves.\n"
    "alias crypto-crc32c crc32c_generic\n"
    "alias crc32c crc32c_generic\n"
    "alias fs-ext4 ext4\n"
    "alias pci:v00001AF4d00001001sv*sd*bc*sc*i* virtio_blk\n"
    "alias devname:mapper/control dm_mod\n";

const char* const kSoftdep =
    "# Soft dependencies extracted from modules themselves.\n"
    "softdep ext4 pre: crc32c\n";

struct Case {
  const char* name;
  std::map<std::string, std::string> files;
  std::vector<std::string> wanted;
  std::vector<std::string> expected;  // the closure as a set (order checked below)
  std::vector<std::pair<std::string, std::string>> before;  // (earlier, later)
  const char* error = nullptr;  // substring of the expected error; %s is the directory
};

std::vector<Case> cases() {
  const std::map<std::string, std::string> base = {
      {"modules.dep", kDep}, {"modules.alias", kAlias}, {"modules.softdep", kSoftdep}};
  auto with = [&](std::map<std::string, std::string> changes) {
    auto files = base;
    for (auto& [k, v] : changes) files[k] = std::move(v);
    return files;
  };
  return {
      {"ext4 pulls in its hard deps and crc32c through softdep pre: and an alias",
       base,
       {"ext4"},
       {"crc16", "mbcache", "jbd2", "crc32c_generic", "ext4"},
       {{"crc16", "ext4"}, {"mbcache", "ext4"}, {"jbd2", "ext4"}, {"crc32c_generic", "ext4"}}},
      {"a softdep naming an alias with '-' resolves through modules.alias",
       with({{"modules.softdep", "softdep ext4 pre: crypto-crc32c\n"}}),
       {"ext4"},
       {"crc16", "mbcache", "jbd2", "crc32c_generic", "ext4"},
       {{"crc32c_generic", "ext4"}}},
      {"a softdep alias matching several modules includes all of them",
       with({{"modules.alias", std::string(kAlias) + "alias crc32c crc32c_intel\n"}}),
       {"ext4"},
       {"crc16", "mbcache", "jbd2", "crc32c_generic", "crc32c_intel", "ext4"},
       {{"crc32c_generic", "ext4"}, {"crc32c_intel", "ext4"}}},
      {"a built-in module is skipped, as a dependency and when wanted",
       with({{"modules.dep",
              "kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko\n"
              "kernel/fs/jbd2/jbd2.ko:\n"
              "kernel/fs/mbcache.ko:\n"
              "kernel/crypto/crc32c_generic.ko:\n"},
             {"modules.builtin", "kernel/lib/crc16.ko\nkernel/lib/crc-t10dif.ko\n"}}),
       {"ext4", "crc16", "crc-t10dif"},
       {"mbcache", "jbd2", "crc32c_generic", "ext4"},
       {{"jbd2", "ext4"}}},
      {"an alias of a built-in module (modules.builtin.alias) is skipped",
       with({{"modules.builtin", "kernel/crypto/crc32c.ko\n"},
             {"modules.builtin.alias", "alias crypto-crc32c-builtin crc32c\n"}}),
       {"crypto-crc32c-builtin"},
       {},
       {}},
      {"modules.builtin.alias alone is enough to recognise a built-in alias",
       with({{"modules.builtin.alias", "alias crypto-sha256 sha256_generic\n"}}),
       {"crypto-sha256"},
       {},
       {}},
      {"'-' and '_' are the same in wanted names and module file names",
       base,
       {"dm_mod", "crc32c-intel", "virtio-blk"},
       {"dm_mod", "crc32c_intel", "virtio_ring", "virtio", "virtio_blk"},
       {{"virtio_ring", "virtio"}, {"virtio", "virtio_blk"}}},
      {"a wildcard alias matches a device modalias",
       base,
       {"pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00"},
       {"virtio_ring", "virtio", "virtio_blk"},
       {{"virtio_ring", "virtio"}, {"virtio", "virtio_blk"}}},
      {"an alias with '/' and a filesystem alias resolve",
       base,
       {"devname:mapper/control", "fs-ext4"},
       {"dm_mod", "crc16", "mbcache", "jbd2", "crc32c_generic", "ext4"},
       {{"jbd2", "ext4"}}},
      {"words before pre:/post: are ignored, as modprobe does (depmod writes \"softdep cifs gcm\")",
       with({{"modules.softdep", "softdep ext4 crc32c\n"}}),
       {"ext4"},
       {"crc16", "jbd2", "mbcache", "ext4"},
       {{"jbd2", "ext4"}}},
      {"a post: softdep loads after the module",
       with({{"modules.softdep", "softdep a post: b\n"}}),
       {"a"},
       {"a", "b"},
       {{"a", "b"}}},
      {"pre: and post: on one line, with an unresolvable softdep skipped",
       with({{"modules.softdep", "softdep b pre: mbcache no_such_module post: a\n"}}),
       {"b"},
       {"mbcache", "b", "a"},
       {{"mbcache", "b"}, {"b", "a"}}},
      {"softdeps are followed transitively",
       with({{"modules.softdep", "softdep a pre: b\nsoftdep b pre: ext4\n"}}),
       {"a"},
       {"crc16", "mbcache", "jbd2", "ext4", "b", "a"},
       {{"ext4", "b"}, {"b", "a"}, {"jbd2", "ext4"}}},
      {"a softdep cycle is broken by dropping the edge that closes it",
       with({{"modules.softdep", "softdep a pre: b\nsoftdep b pre: a\n"}}),
       {"a"},
       {"a", "b"},
       // Soft edges are added in sorted order: "a before b" (from b's line)
       // first, so "b before a" is the one dropped.
       {{"a", "b"}}},
      {"a softdep against a hard dependency yields to the hard one",
       with({{"modules.softdep", "softdep mbcache post: ext4\nsoftdep jbd2 pre: ext4\n"}}),
       {"ext4"},
       {"crc16", "mbcache", "jbd2", "ext4"},
       {{"mbcache", "ext4"}, {"jbd2", "ext4"}}},
      {"a hard dependency cycle is an error naming it",
       with({{"modules.dep", "kernel/a.ko: kernel/b.ko\nkernel/b.ko: kernel/a.ko\n"}}),
       {"a"},
       {},
       {},
       "dependency cycle in %s/modules.dep: a -> b -> a"},
      {"an unknown module is an error naming it and the index",
       base,
       {"ext4", "foo"},
       {},
       {},
       "module \"foo\" not found in %s/modules.dep (nor in modules.alias or modules.builtin)"},
      {"an alias naming a module that does not exist does not count",
       with({{"modules.alias", "alias fs-gone gone\n"}}),
       {"fs-gone"},
       {},
       {},
       "module \"fs-gone\" not found in %s/modules.dep"},
      {"a dependency without its own modules.dep line is an error",
       with({{"modules.dep", "kernel/a.ko: kernel/missing.ko\n"}}),
       {"a"},
       {},
       {},
       "module \"missing\" (needed by \"a\") has no line of its own in %s/modules.dep"},
  };
}

std::string fill_dir(const char* pattern, const std::string& dir) {
  std::string out = pattern;
  size_t pos = out.find("%s");
  if (pos != std::string::npos) out.replace(pos, 2, dir);
  return out;
}

size_t index_of(const std::vector<ModuleFile>& modules, const std::string& name) {
  for (size_t i = 0; i < modules.size(); ++i) {
    if (modules[i].name == name) return i;
  }
  FAIL("module " << name << " is not in the closure");
  return 0;
}

TEST_CASE("modules: closure of a fake /lib/modules", "[initramfs][modules]") {
  for (const Case& c : cases()) {
    DYNAMIC_SECTION(c.name) {
      FakeModulesDir dir(c.files);
      auto index = ModuleIndex::load(dir.path());
      INFO((index.ok() ? std::string() : index.error().message));
      REQUIRE(index.ok());
      auto closure = index->closure(c.wanted);
      if (c.error != nullptr) {
        REQUIRE_FALSE(closure.ok());
        CHECK_THAT(closure.error().message, Catch::Contains(fill_dir(c.error, dir.path())));
        continue;
      }
      INFO((closure.ok() ? std::string() : closure.error().message));
      REQUIRE(closure.ok());
      std::vector<std::string> got;
      for (const ModuleFile& m : *closure) got.push_back(m.name);
      INFO("closure: " << Catch::Detail::stringify(got));
      std::vector<std::string> expected = c.expected;
      std::sort(got.begin(), got.end());
      std::sort(expected.begin(), expected.end());
      CHECK(got == expected);
      for (const auto& [earlier, later] : c.before) {
        INFO(earlier << " must come before " << later);
        CHECK(index_of(*closure, earlier) < index_of(*closure, later));
      }
    }
  }
}

TEST_CASE("modules: the order is fully determined (ties by name)", "[initramfs][modules]") {
  FakeModulesDir dir(
      Files{{"modules.dep", kDep}, {"modules.alias", kAlias}, {"modules.softdep", kSoftdep}});
  auto index = ModuleIndex::load(dir.path());
  REQUIRE(index.ok());
  auto a = index->closure({"ext4", "virtio_blk"});
  auto b = index->closure({"virtio_blk", "ext4", "ext4"});
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  std::vector<std::string> names_a, names_b;
  for (const ModuleFile& m : *a) names_a.push_back(m.name);
  for (const ModuleFile& m : *b) names_b.push_back(m.name);
  CHECK(names_a == std::vector<std::string>{"crc16", "crc32c_generic", "jbd2", "mbcache", "ext4",
                                            "virtio_ring", "virtio", "virtio_blk"});
  CHECK(names_a == names_b);
}

TEST_CASE("modules: closure entries keep modules.dep's relative paths", "[initramfs][modules]") {
  FakeModulesDir dir(Files{{"modules.dep", kDep}});
  auto index = ModuleIndex::load(dir.path() + "/");
  REQUIRE(index.ok());
  CHECK(index->directory() == dir.path());
  auto closure = index->closure({"virtio_blk", "crc32c_intel", "dm-mod"});
  REQUIRE(closure.ok());
  std::map<std::string, std::string> paths;
  for (const ModuleFile& m : *closure) paths[m.name] = m.relative_path;
  CHECK(paths == std::map<std::string, std::string>{
                     {"virtio_blk", "kernel/drivers/block/virtio_blk.ko.xz"},
                     {"virtio", "kernel/drivers/virtio/virtio.ko.xz"},
                     {"virtio_ring", "kernel/drivers/virtio/virtio_ring.ko.xz"},
                     {"crc32c_intel", "kernel/arch/x86/crypto/crc32c-intel.ko.zst"},
                     {"dm_mod", "kernel/drivers/md/dm-mod.ko.gz"}});
}

TEST_CASE("modules: an empty request gives an empty closure", "[initramfs][modules]") {
  FakeModulesDir dir(Files{{"modules.dep", kDep}});
  auto index = ModuleIndex::load(dir.path());
  REQUIRE(index.ok());
  auto closure = index->closure({});
  REQUIRE(closure.ok());
  CHECK(closure->empty());
}

TEST_CASE("modules: is_builtin reads modules.builtin with normalized names",
          "[initramfs][modules]") {
  FakeModulesDir dir(
      Files{{"modules.dep", kDep},
            {"modules.builtin", "kernel/lib/crc-t10dif.ko\nkernel/fs/ext4/ext4.ko\n"}});
  auto index = ModuleIndex::load(dir.path());
  REQUIRE(index.ok());
  CHECK(index->is_builtin("crc_t10dif"));
  CHECK(index->is_builtin("crc-t10dif"));
  CHECK(index->is_builtin("ext4"));
  CHECK_FALSE(index->is_builtin("jbd2"));
}

TEST_CASE("modules: normalize_module_name", "[initramfs][modules]") {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"kernel/fs/ext4/ext4.ko", "ext4"},
      {"ext4-foo.ko.zst", "ext4_foo"},
      {"kernel/drivers/md/dm-mod.ko.xz", "dm_mod"},
      {"kernel/lib/crc16.ko.gz", "crc16"},
      {"crc32c-intel", "crc32c_intel"},
      {"virtio_blk", "virtio_blk"},
      {"weird.kodak", "weird.kodak"},
  };
  for (const auto& [in, out] : table) {
    INFO(in);
    CHECK(normalize_module_name(in) == out);
  }
}

TEST_CASE("modules: parse errors name the file and line", "[initramfs][modules]") {
  struct ParseCase {
    const char* file;
    const char* text;
    const char* message;  // after "<dir>/"
  };
  const std::vector<ParseCase> table = {
      {"modules.dep", "kernel/a.ko:\nkernel/b.ko kernel/a.ko\n",
       "modules.dep line 2: expected \"<module path>: <dependency paths>\", got "
       "\"kernel/b.ko kernel/a.ko\""},
      {"modules.softdep", "# comment\n\nsoftdep\n", "modules.softdep line 3: expected"},
      {"modules.softdep", "softdap ext4 pre: crc32c\n", "modules.softdep line 1: expected"},
      {"modules.alias", "# comment\nalias only-two\n",
       "modules.alias line 2: expected \"alias <pattern> <module>\", got \"alias only-two\""},
      {"modules.builtin.alias", "alias a b c\n", "modules.builtin.alias line 1: expected"},
  };
  for (const ParseCase& c : table) {
    INFO(c.file << ": " << c.text);
    std::map<std::string, std::string> files = {{"modules.dep", kDep}};
    files[c.file] = c.text;
    FakeModulesDir dir(files);
    auto index = ModuleIndex::load(dir.path());
    REQUIRE_FALSE(index.ok());
    CHECK_THAT(index.error().message, Catch::StartsWith(dir.path() + "/" + c.message));
  }
}

TEST_CASE("modules: a missing modules.dep is an error naming it", "[initramfs][modules]") {
  FakeModulesDir dir(Files{{"modules.alias", kAlias}});
  auto index = ModuleIndex::load(dir.path());
  REQUIRE_FALSE(index.ok());
  CHECK_THAT(index.error().message, Catch::Contains(dir.path() + "/modules.dep"));
  CHECK(index.error().errno_value == ENOENT);
}

// A real index: the Debian guest kernel's (run-oracle.sh names it), since
// the build machine may have no /lib/modules at all.
TEST_CASE("modules: a Debian kernel's modules resolve ext4 and virtio_blk", "[initramfs][modules][oracle]") {
  const std::string dir = kdk::test::require_env_file("KDK_GUEST_MODULES_DIR");
  auto index = ModuleIndex::load(dir);
  INFO((index.ok() ? std::string() : index.error().message));
  REQUIRE(index.ok());
  for (const char* wanted : {"ext4", "virtio_blk"}) {
    INFO(wanted);
    auto closure = index->closure({wanted});
    INFO((closure.ok() ? std::string() : closure.error().message));
    REQUIRE(closure.ok());
    if (index->is_builtin(wanted)) {
      continue;  // nothing to load; the empty or partial closure is right
    }
    CHECK(std::any_of(closure->begin(), closure->end(),
                      [&](const ModuleFile& m) { return m.name == wanted; }));
    for (const ModuleFile& m : *closure) {
      CHECK(path_exists(dir + "/" + m.relative_path));
    }
  }
}

}  // namespace
}  // namespace kdk::initramfs
