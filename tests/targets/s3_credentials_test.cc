#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "targets/s3/credentials.h"
#include "util/fd.h"

using namespace kdk;
using namespace kdk::targets::s3;

TEST_CASE("S3 credentials are parsed from our format and AWS's", "[s3]") {
  auto c = parse_credentials("# kdumpkit\naccess_key_id = AKIA1\nsecret_access_key=  s3cr/et+  \n", "f");
  REQUIRE(c.ok());
  CHECK(c->access_key_id == "AKIA1");
  CHECK(c->secret_access_key == "s3cr/et+");
  CHECK(c->session_token.empty());

  auto aws = parse_credentials(
      "[default]\r\naws_access_key_id = AK\r\naws_secret_access_key = \"SK\"\r\n"
      "aws_session_token = TOK\r\nregion = eu-west-1\r\n",
      "f");
  REQUIRE(aws.ok());
  CHECK(aws->access_key_id == "AK");
  CHECK(aws->secret_access_key == "SK");
  CHECK(aws->session_token == "TOK");
}

TEST_CASE("S3 credential errors name the line, never the secret", "[s3]") {
  auto missing = parse_credentials("access_key_id = AK\n", "creds");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message == "creds: no secret_access_key");

  auto typo = parse_credentials("access_key_id = AK\nsecret_acess_key = TOPSECRET\n", "creds");
  REQUIRE_FALSE(typo.ok());
  CHECK(typo.error().message.find("creds line 2: unknown name \"secret_acess_key\"") == 0);
  CHECK(typo.error().message.find("TOPSECRET") == std::string::npos);

  auto no_eq = parse_credentials("TOPSECRET\n", "creds");
  REQUIRE_FALSE(no_eq.ok());
  CHECK(no_eq.error().message.find("TOPSECRET") == std::string::npos);
  CHECK_FALSE(parse_credentials("access_key_id =\nsecret_access_key = x\n", "creds").ok());
}

TEST_CASE("S3 credentials files must be root-only", "[s3]") {
  char dir_template[] = "/tmp/kdk-s3cred.XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  std::string path = std::string(dir_template) + "/cred";
  REQUIRE(write_file(path, "access_key_id = AK\nsecret_access_key = SK\n", 0600).ok());
  REQUIRE(chmod(path.c_str(), 0600) == 0);
  if (geteuid() == 0) {
    auto ok = read_credentials_file(path);
    REQUIRE(ok.ok());
    CHECK(ok->secret_access_key == "SK");
  }
  REQUIRE(chmod(path.c_str(), 0640) == 0);
  auto group = read_credentials_file(path);
  REQUIRE_FALSE(group.ok());
  CHECK(group.error().message.find("(mode 0640)") != std::string::npos);
  REQUIRE(chmod(path.c_str(), 0604) == 0);
  CHECK_FALSE(read_credentials_file(path).ok());
  auto absent = read_credentials_file(std::string(dir_template) + "/none");
  REQUIRE_FALSE(absent.ok());
  CHECK(absent.error().message.find("No such file") != std::string::npos);
  unlink(path.c_str());
  rmdir(dir_template);
}
