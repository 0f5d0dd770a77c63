// The identity= key: OpenSSH's ssh-keygen makes the keys (every type and
// format the SSH targets take) and is the oracle for the public half, the
// authorized_keys line and the fingerprint. That the signatures are right
// is proven by a real sshd accepting them (ssh_server).
#include "targets/ssh/ssh_key.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "tests/lib/test_env.h"
#include "util/fd.h"
#include "util/text.h"

using namespace kdk;
using namespace kdk::targets::ssh;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/kdk-sshkey.XXXXXX";
    REQUIRE(mkdtemp(t) != nullptr);
    path = t;
  }
  ~TempDir() { (void)std::system(("rm -rf '" + path + "'").c_str()); }
};

std::string keygen(const TempDir& d, const std::string& name, const std::string& args) {
  std::string file = d.path + "/" + name;
  std::string cmd = "ssh-keygen -q " + args + " -C test-comment -f '" + file + "' </dev/null >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  return file;
}

std::string first_line(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  while (fgets(buf, sizeof buf, p)) out += buf;
  pclose(p);
  return std::string(trim(out.substr(0, out.find('\n'))));
}

}  // namespace

TEST_CASE("identity keys of every supported type read as ssh-keygen sees them", "[ssh]") {
  kdk::test::require_tool("ssh-keygen", "openssh-client");
  TempDir d;
  struct Case {
    const char* name;
    const char* args;
    const char* type;
    const char* algorithm;
  };
  const Case cases[] = {
      {"ed25519", "-t ed25519 -N ''", "ssh-ed25519", "ssh-ed25519"},
      {"ecdsa256", "-t ecdsa -b 256 -N ''", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256"},
      {"ecdsa384", "-t ecdsa -b 384 -N ''", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384"},
      {"ecdsa521", "-t ecdsa -b 521 -N ''", "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521"},
      {"rsa", "-t rsa -b 3072 -N ''", "ssh-rsa", "rsa-sha2-256"},
      {"rsa-pem", "-t rsa -b 2048 -m PEM -N ''", "ssh-rsa", "rsa-sha2-256"},
      {"ecdsa-pkcs8", "-t ecdsa -b 256 -m PKCS8 -N ''", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256"},
      {"ed25519-pkcs8", "-t ed25519 -m PKCS8 -N ''", "ssh-ed25519", "ssh-ed25519"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    std::string file = keygen(d, c.name, c.args);
    auto key = SshKey::load(file);
    REQUIRE(key.ok());
    CHECK(key->type() == c.type);
    CHECK(key->algorithm() == c.algorithm);
    // The public half, as ssh-keygen derives it from the private file.
    std::string pub = first_line("ssh-keygen -y -f '" + file + "'");
    CHECK(key->authorized_keys_line("") == pub.substr(0, pub.find(' ', pub.find(' ') + 1)));
    std::string fp = first_line("ssh-keygen -l -f '" + file + ".pub'");
    CHECK(fp.find(key->fingerprint()) != std::string::npos);
    auto sig = key->sign("data to sign");
    REQUIRE(sig.ok());
    CHECK_FALSE(sig->empty());
  }
}

TEST_CASE("identity keys kdumpkit refuses, and why", "[ssh]") {
  kdk::test::require_tool("ssh-keygen", "openssh-client");
  TempDir d;
  std::string secret = keygen(d, "secret", "-t ed25519 -N 'a passphrase'");
  auto a = SshKey::load(secret);
  REQUIRE_FALSE(a.ok());
  CHECK_THAT(a.error().message, Catch::Contains("passphrase"));

  std::string pem_secret = keygen(d, "pem-secret", "-t rsa -b 2048 -m PEM -N 'a passphrase'");
  auto b = SshKey::load(pem_secret);
  REQUIRE_FALSE(b.ok());
  CHECK_THAT(b.error().message, Catch::Contains("passphrase"));

  std::string open = keygen(d, "open", "-t ed25519 -N ''");
  REQUIRE(::chmod(open.c_str(), 0640) == 0);
  auto c = SshKey::load(open);
  REQUIRE_FALSE(c.ok());
  CHECK_THAT(c.error().message, Catch::Contains("root-only"));
  CHECK_THAT(c.error().message, Catch::Contains("identity " + open));

  std::string small = keygen(d, "small", "-t rsa -b 1024 -N ''");
  auto e = SshKey::load(small);
  REQUIRE_FALSE(e.ok());
  CHECK_THAT(e.error().message, Catch::Contains("at least 2048"));

  auto f =
      SshKey::parse("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", "x");
  REQUIRE_FALSE(f.ok());
  CHECK_THAT(f.error().message, Catch::Contains("damaged"));
  CHECK_FALSE(SshKey::parse("not a key", "y").ok());
}
