#include <catch2/catch.hpp>

#include "util/json_writer.h"
#include "util/sha256.h"

using kdk::JsonWriter;

TEST_CASE("JSON output is escaped, ordered and nested", "[util]") {
  JsonWriter w;
  w.begin_object()
      .string("panic", "Kernel panic - not syncing: \"sysrq\"\n\t\x01")
      .unsigned_number("size", 18446744073709551615ULL)
      .number("level", -1)
      .boolean("complete", true)
      .begin_array("targets")
      .begin_object()
      .string("url", "disk:LABEL=x")
      .end_object()
      .end_array()
      .begin_object("empty")
      .end_object()
      .end_object();
  CHECK(w.text() ==
        "{\n"
        "  \"panic\": \"Kernel panic - not syncing: \\\"sysrq\\\"\\n\\t\\u0001\",\n"
        "  \"size\": 18446744073709551615,\n"
        "  \"level\": -1,\n"
        "  \"complete\": true,\n"
        "  \"targets\": [\n"
        "    {\n"
        "      \"url\": \"disk:LABEL=x\"\n"
        "    }\n"
        "  ],\n"
        "  \"empty\": {}\n"
        "}\n");
}

TEST_CASE("SHA-256 matches the FIPS 180-2 examples, in one piece or many", "[util]") {
  CHECK(kdk::sha256_hex("abc", 3) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  kdk::Sha256 h;
  const char* msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  for (const char* p = msg; *p; ++p) h.update(p, 1);
  CHECK(h.hex_digest() == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
