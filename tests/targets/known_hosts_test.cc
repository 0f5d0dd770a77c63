// known_hosts parsing and the host key verdicts. The hashed lines were made
// by OpenSSH's ssh-keygen -H from the plain ones below them.
#include "targets/ssh/known_hosts.h"

#include <catch2/catch.hpp>

#include "targets/ssh/ssh_wire.h"
#include "util/text.h"

using namespace kdk;
using namespace kdk::targets::ssh;

namespace {

constexpr const char* kEd25519 = "AAAAC3NzaC1lZDI1NTE5AAAAICzIa42T+DcKnIu1t7Z8S11n/VEMK0g8AdmoEKmoqJhP";
constexpr const char* kEcdsa =
    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBDJaq0/VyJXjuc/"
    "KD8XoWks5LwYq7IfBgIymPg1t5UAVGnstExY6YSkuPC/"
    "KMBjcOJByW7CsdSJbMlOpmujNwOs=";
// ssh-keygen -H of "[127.0.0.1]:2222 <ed25519>" and "example.com <ecdsa>".
constexpr const char* kHashed =
    "|1|Z6dhvbnCGitnHrq6enKHBdP0mNw=|dDk+E1gIwxSe4eiQ5llzcvvBdbI= ssh-ed25519 "
    "AAAAC3NzaC1lZDI1NTE5AAAAICzIa42T+DcKnIu1t7Z8S11n/VEMK0g8AdmoEKmoqJhP\n"
    "|1|7Z4yxoRdQyIpVnEDXt1k6ME4w94=|1vs1oIHGyxJ6dBICinIzDXZFd4c= ecdsa-sha2-nistp256 "
    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBDJaq0/VyJXjuc/"
    "KD8XoWks5LwYq7IfBgIymPg1t5UAVGnstExY6YSkuPC/"
    "KMBjcOJByW7CsdSJbMlOpmujNwOs=\n";

std::string blob(const char* b64) {
  std::string out;
  REQUIRE(base64_decode(b64, out));
  return out;
}

}  // namespace

TEST_CASE("known_hosts names: port 22 plain, others bracketed", "[ssh]") {
  CHECK(KnownHosts::lookup_name("h.example", 22) == "h.example");
  CHECK(KnownHosts::lookup_name("10.0.2.2", 2222) == "[10.0.2.2]:2222");
}

TEST_CASE("host patterns: lists, wildcards, negation, case", "[ssh]") {
  CHECK(match_host_patterns("dumps.example.com", "backup,dumps.example.com"));
  CHECK(match_host_patterns("Dumps.Example.COM", "dumps.example.com"));
  CHECK(match_host_patterns("dumps.example.com", "*.example.com"));
  CHECK(match_host_patterns("10.0.2.9", "10.0.2.?"));
  CHECK_FALSE(match_host_patterns("10.0.2.19", "10.0.2.?"));
  CHECK_FALSE(match_host_patterns("evil.example.com", "*.example.com,!evil.example.com"));
  CHECK_FALSE(match_host_patterns("[h]:2222", "h"));
  CHECK(match_host_patterns("[h]:2222", "[h]:2222"));
  CHECK_FALSE(match_host_patterns("h", "[h]:2222"));
}

TEST_CASE("hashed known_hosts lines (ssh-keygen -H) match their names only", "[ssh]") {
  KnownHosts kh = KnownHosts::parse(kHashed, "kh");
  CHECK(kh.skipped() == 0);
  auto a = kh.keys_for("[127.0.0.1]:2222");
  REQUIRE(a.size() == 1);
  CHECK(a[0].type == "ssh-ed25519");
  CHECK(a[0].line == 1);
  CHECK(kh.keys_for("example.com").size() == 1);
  CHECK(kh.keys_for("EXAMPLE.com").size() == 1);
  CHECK(kh.keys_for("127.0.0.1").empty());
  CHECK(kh.keys_for("[127.0.0.1]:2223").empty());
}

TEST_CASE("malformed lines are skipped, markers and comments kept apart", "[ssh]") {
  std::string text =
      std::string("# comment\n\n") + "h ssh-ed25519 " + kEd25519 + " a comment\n" +
      "h ssh-ed25519 not-base64!\n" + "h ecdsa-sha2-nistp256 " + kEd25519 + "\n" +  // type mismatch
      "h\n" + "@revoked h ecdsa-sha2-nistp256 " + kEcdsa + "\n" + "@bogus h ssh-ed25519 " + kEd25519 + "\n";
  KnownHosts kh = KnownHosts::parse(text, "kh");
  CHECK(kh.skipped() == 4);
  auto keys = kh.keys_for("h");
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].line == 3);
  CHECK(keys[0].marker == KnownKey::Marker::kNone);
  CHECK(keys[1].line == 7);
  CHECK(keys[1].marker == KnownKey::Marker::kRevoked);
}

TEST_CASE("host key verdicts: known, changed, unknown, revoked, other type", "[ssh]") {
  const std::string ed = blob(kEd25519);
  const std::string ec = blob(kEcdsa);
  KnownHosts kh = KnownHosts::parse(std::string("h ssh-ed25519 ") + kEd25519 + "\n" + "r ssh-ed25519 " +
                                        kEd25519 + "\n@revoked r ssh-ed25519 " + kEd25519 + "\n" +
                                        "e ecdsa-sha2-nistp256 " + kEcdsa + "\n",
                                    "/root/.ssh/known_hosts");
  CHECK(verify_host_key(kh.keys_for("h"), "h", kh.source(), ed).ok());

  // Another Ed25519 key for h: a changed key, both fingerprints named.
  std::string other = ed;
  other.back() ^= 1;
  Status changed = verify_host_key(kh.keys_for("h"), "h", kh.source(), other);
  REQUIRE_FALSE(changed.ok());
  CHECK(changed.error().errno_value == 0);
  CHECK_THAT(changed.error().message, Catch::Contains("HOST KEY CHANGED for h"));
  CHECK_THAT(changed.error().message, Catch::Contains(fingerprint_sha256(other)));
  CHECK_THAT(changed.error().message, Catch::Contains("line 1: ssh-ed25519 " + fingerprint_sha256(ed)));

  Status unknown = verify_host_key(kh.keys_for("nobody"), "nobody", kh.source(), ed);
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(unknown.error().message, Catch::Contains("host key of nobody unknown"));
  CHECK_THAT(unknown.error().message, Catch::Contains("SHA256:ChjxUC4yMtjZj2DxSr/tHBQ8KCFFDcVF2R0szGI+JLo"));

  Status revoked = verify_host_key(kh.keys_for("r"), "r", kh.source(), ed);
  REQUIRE_FALSE(revoked.ok());
  CHECK_THAT(revoked.error().message, Catch::Contains("@revoked"));

  Status type = verify_host_key(kh.keys_for("e"), "e", kh.source(), ed);
  REQUIRE_FALSE(type.ok());
  CHECK_THAT(type.error().message, Catch::Contains("other key types"));
}

TEST_CASE("host key algorithms offered are the known types, best first", "[ssh]") {
  KnownHosts kh = KnownHosts::parse(std::string("h ecdsa-sha2-nistp256 ") + kEcdsa + "\nh ssh-ed25519 " +
                                        kEd25519 + "\nh ssh-ed25519 " + kEd25519 + "\n",
                                    "kh");
  CHECK(host_key_algorithms(kh.keys_for("h")) ==
        std::vector<std::string>{"ssh-ed25519", "ecdsa-sha2-nistp256"});
  CHECK(host_key_algorithms(kh.keys_for("x")).empty());
}

TEST_CASE("fingerprints are ssh-keygen's", "[ssh]") {
  CHECK(fingerprint_sha256(blob(kEd25519)) == "SHA256:ChjxUC4yMtjZj2DxSr/tHBQ8KCFFDcVF2R0szGI+JLo");
  CHECK(fingerprint_sha256(blob(kEcdsa)) == "SHA256:QnoQPPb/VH90enIckigpAjKeLty1gcxxwPKwqqOm4+o");
}

TEST_CASE("base64 round trips, with and without padding", "[ssh]") {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    std::string back;
    REQUIRE(base64_decode(base64_encode(s), back));
    CHECK(back == s);
    REQUIRE(base64_decode(base64_encode(s, false), back));
    CHECK(back == s);
  }
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode("fooba") == "Zm9vYmE=");
  CHECK(base64_encode("foob", false) == "Zm9vYg");
  std::string out;
  CHECK_FALSE(base64_decode("Zm9v!", out));
  CHECK_FALSE(base64_decode("Z", out));
}
