#include "config/config.h"

#include <catch2/catch.hpp>

#include "config/key_value.h"
#include "config/load_record.h"

using namespace kdk::config;

TEST_CASE("a minimal configuration parses into targets and actions", "[config]") {
  auto c = parse_config(
      "# kdumpkit\n"
      "target = disk:LABEL=kdumpdata:/crash\n"
      "\n"
      "target = disk:UUID=0D5C1E8A-1111-2222-3333-444455556666   # fallback\n"
      "final_action = poweroff\n"
      "extra_modules = virtio_scsi, sd_mod nvme\n",
      "/etc/kdumpkit.conf");
  REQUIRE(c.ok());
  REQUIRE(c->targets.size() == 2);
  const auto& d0 = std::get<DiskTarget>(c->targets[0].where);
  CHECK(d0.device.by == DeviceSpec::By::kLabel);
  CHECK(d0.device.value == "kdumpdata");
  CHECK(d0.directory == "/crash");
  CHECK(c->targets[0].line == 2);
  const auto& d1 = std::get<DiskTarget>(c->targets[1].where);
  CHECK(d1.device.by == DeviceSpec::By::kUuid);
  CHECK(d1.device.value == "0d5c1e8a-1111-2222-3333-444455556666");
  CHECK(d1.directory == "/");
  CHECK(c->targets[1].line == 4);
  CHECK(c->final_action == FinalAction::kPoweroff);
  CHECK(c->extra_modules == std::vector<std::string>{"virtio_scsi", "sd_mod", "nvme"});
  // What a capture does by default: makedumpfile's usual level, zstd.
  CHECK(c->dump_format == DumpFormat::kKdump);
  CHECK(c->dump_level == 31);
  CHECK(c->compression == "zstd");
  auto raw =
      parse_config("target = disk:LABEL=x\ndump_format = raw\ndump_level = 0\ncompression = lzo\n", "k");
  REQUIRE(raw.ok());
  CHECK(raw->dump_format == DumpFormat::kRaw);
  CHECK(raw->dump_level == 0);
  CHECK(raw->compression == "lzo");
}

TEST_CASE("configuration errors name the file, the line and what is accepted", "[config]") {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"target = disk:LABEL=x\ntrget = disk:LABEL=y\n",
       "k.conf:2: unknown key \"trget\" (known keys: target, final_action"},
      {"target = disk:LABEL=x\nfinal_action = explode\n",
       "k.conf:2: final_action: bad value \"explode\" (accepted: reboot, poweroff or halt)"},
      {"target = ftp://host/x\n",
       "k.conf:1: target: target \"ftp://host/x\": unknown or unsupported scheme \"ftp\""},
      {"target = disk:LABEL=:/crash\n", "k.conf:1: target: target \"disk:LABEL=:/crash\": empty device name"},
      {"target = disk:LABEL=x:/a/../b\n", "may not contain \".\" or \"..\""},
      {"target = disk:PARTLABEL=x\n", "unknown device \"PARTLABEL=x\""},
      {"# nothing\n", "k.conf: no target configured"},
      {"target disk:LABEL=x\n", "k.conf:1: expected 'key = value'"},
      {"target = disk:LABEL=x\ndevice_timeout = 0\n", "k.conf:2: device_timeout: bad value \"0\""},
      {"target = disk:LABEL=x\ndump_level = 32\n",
       "k.conf:2: dump_level: bad value \"32\" (accepted: 0 to 31"},
      {"target = disk:LABEL=x\ncompression = lz4\n",
       "k.conf:2: compression: bad value \"lz4\" (accepted: zstd, zlib, lzo or none)"},
      {"target = disk:LABEL=x\ndump_format = flat\n", "k.conf:2: dump_format: bad value \"flat\""},
  };
  for (const auto& c : cases) {
    auto r = parse_config(c.text, "k.conf");
    INFO(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains(c.expected));
  }
}

TEST_CASE("directories are normalized and device paths may contain colons", "[config]") {
  auto t = parse_target("disk:/dev/disk/by-path/pci-0000:00:05.0://var//crash/");
  REQUIRE(t.ok());
  const auto& d = std::get<DiskTarget>(t->where);
  CHECK(d.device.by == DeviceSpec::By::kPath);
  CHECK(d.device.value == "/dev/disk/by-path/pci-0000:00:05.0");
  CHECK(d.directory == "/var/crash");
}

TEST_CASE("kernel command line overrides replace targets and set keys", "[config]") {
  auto c = parse_config("target = disk:LABEL=a\nfinal_action = reboot\n", "k.conf");
  REQUIRE(c.ok());
  auto s = apply_command_line_overrides(
      *c, "console=ttyS0 kdumpkit.final_action=halt kdumpkit.target=disk:LABEL=b quiet");
  REQUIRE(s.ok());
  CHECK(c->final_action == FinalAction::kHalt);
  REQUIRE(c->targets.size() == 1);
  CHECK(std::get<DiskTarget>(c->targets[0].where).device.value == "b");

  auto bad = apply_command_line_overrides(*c, "kdumpkit.final_action=sing");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Catch::StartsWith("kernel command line: final_action: bad value"));

  // A bad word is reported, and the good ones around it still apply.
  auto mixed = apply_command_line_overrides(*c, "kdumpkit.bogus=1 kdumpkit.final_action=poweroff kdumpkit.x");
  REQUIRE_FALSE(mixed.ok());
  CHECK_THAT(mixed.error().message,
             Catch::Contains("unknown key \"bogus\"") && Catch::Contains("\"kdumpkit.x\" needs a value"));
  CHECK(c->final_action == FinalAction::kPoweroff);
}

TEST_CASE("a bad target override is reported and leaves the targets as they were", "[config]") {
  auto c = parse_config("target = disk:LABEL=a\ntarget = disk:LABEL=b\n", "k.conf");
  REQUIRE(c.ok());
  // A one-word target (no host, no device) is the case that once threw.
  for (const char* word : {"kdumpkit.target=nfs", "kdumpkit.target=http", "kdumpkit.target=s3",
                           "kdumpkit.target=sftp", "kdumpkit.target=raw", "kdumpkit.target="}) {
    CAPTURE(word);
    auto s = apply_command_line_overrides(*c, word);
    CHECK_FALSE(s.ok());
    REQUIRE(c->targets.size() == 2);
    CHECK(std::get<DiskTarget>(c->targets[0].where).device.value == "a");
  }
  // Good and bad together: the good ones replace the file's, the bad one is reported.
  auto s = apply_command_line_overrides(*c, "kdumpkit.target=nfs kdumpkit.target=disk:LABEL=c");
  CHECK_FALSE(s.ok());
  REQUIRE(c->targets.size() == 1);
  CHECK(std::get<DiskTarget>(c->targets[0].where).device.value == "c");
}

TEST_CASE("comments need whitespace before '#', so values may contain '#'", "[config]") {
  auto kv = parse_key_values("a = x#y   # note\n", "f");
  REQUIRE(kv.ok());
  REQUIRE(kv->size() == 1);
  CHECK((*kv)[0].value == "x#y");
}

TEST_CASE("the load record round-trips", "[config]") {
  LoadRecord r{"kdk-guest", "6.1.0-40-amd64", {"kernel/fs/ext4/ext4.ko", "kernel/fs/jbd2/jbd2.ko"}};
  auto back = parse_load_record(r.serialize(), "load.conf");
  REQUIRE(back.ok());
  CHECK(back->host == r.host);
  CHECK(back->kernel_release == r.kernel_release);
  CHECK(back->modules == r.modules);
  CHECK_FALSE(parse_load_record("kernel_release = x\n", "load.conf").ok());
}

TEST_CASE("network targets take per-scheme options and the network keys", "[config]") {
  auto c = parse_config(
      "target = https://dumps.example:8443/crash ca=/etc/kdumpkit/ca.pem token_file=/etc/kdumpkit/token\n"
      "target = s3://crashes/fleet endpoint=http://127.0.0.1:9000 region=eu-west-1 "
      "credentials_file=/etc/kdumpkit/s3 part_size=8\n"
      "target = nfs://10.0.0.5/export/crash vers=3 options=timeo=600,retrans=2\n"
      "net_interface = 52:54:00:12:34:56\n"
      "net_address = 192.0.2.10/24 2001:db8::10/64\n"
      "net_gateway = 192.0.2.1\n"
      "net_dns = 192.0.2.53 2001:db8::53\n"
      "retries = 3\n",
      "k.conf");
  REQUIRE(c.ok());
  const auto& h = std::get<NetworkTarget>(c->targets[0].where);
  CHECK(h.scheme == "https");
  CHECK(h.host == "dumps.example:8443");
  CHECK(h.url() == "https://dumps.example:8443/crash");
  CHECK(h.option("ca") == "/etc/kdumpkit/ca.pem");
  CHECK(h.option("proxy", "none") == "none");
  const auto& s3 = std::get<NetworkTarget>(c->targets[1].where);
  CHECK(s3.option("part_size") == "8");
  CHECK(s3.option("region") == "eu-west-1");
  const auto& nfs = std::get<NetworkTarget>(c->targets[2].where);
  CHECK(nfs.option("options") == "timeo=600,retrans=2");
  CHECK(c->network.interface == "52:54:00:12:34:56");
  CHECK_FALSE(c->network.dhcp);
  CHECK(c->network.addresses == std::vector<std::string>{"192.0.2.10/24", "2001:db8::10/64"});
  CHECK(c->network.dns.size() == 2);
  CHECK(c->retries == 3);
  CHECK(c->has_network_target());
  auto d = parse_config("target = https://h/x\n", "k");
  REQUIRE(d.ok());
  CHECK(d->network.dhcp);
  CHECK(d->network.timeout_s == 30);
}

TEST_CASE("bad network options name the option and what the scheme takes", "[config]") {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"target = https://h/x token=abc\n",
       "unknown option \"token\" (options of http targets: ca, token_file"},
      {"target = https://h/x ca=relative.pem\n", "option ca names an absolute path"},
      {"target = s3://b/p part_size=2\n",
       "part_size=2: accepted: the first multipart part size in MiB, 5 to 1024"},
      {"target = s3://b/p endpoint=ftp://x\n", "endpoint=ftp://x"},
      {"target = nfs://h/e vers=5\n", "option vers=5: accepted: 4.2, 4.1, 4.0 or 3"},
      {"target = https://h/x ca=/a ca=/b\n", "option ca given twice"},
      {"target = disk:LABEL=x ca=/a\n", "only network targets take options"},
      {"target = https://h/x\nnet_address = 10.0.0.1\n", "k.conf:2: net_address: bad address \"10.0.0.1\""},
      {"target = https://h/x\nnet_dns = resolver\n", "k.conf:2: net_dns: bad address \"resolver\""},
      {"target = https://h/x\nretries = 0\n", "k.conf:2: retries: bad value \"0\""},
  };
  for (const auto& tc : cases) {
    auto c = parse_config(tc.text, "k.conf");
    INFO(tc.text);
    REQUIRE_FALSE(c.ok());
    CHECK_THAT(c.error().message, Catch::Contains(tc.expected));
  }
}

TEST_CASE("credentials in a proxy or endpoint URL are refused, and the error does not repeat them",
          "[config]") {
  for (const char* line : {"target = https://h/x proxy=http://user:pw@proxy:3128\n",
                           "target = s3://b/p endpoint=https://key:pw@s3.example\n",
                           "target = s3://b/p proxy=user:pw@proxy:3128\n"}) {
    CAPTURE(line);
    auto c = parse_config(line, "k.conf");
    REQUIRE_FALSE(c.ok());
    CHECK_THAT(c.error().message, Catch::Contains("must not carry credentials"));
    CHECK_THAT(c.error().message, !Catch::Contains("pw"));
  }
  // An @ in the path is not a credential.
  CHECK(parse_config("target = https://h/x proxy=http://proxy:3128/a@b\n", "k.conf").ok());
}

TEST_CASE("credentials over plain http:// are refused unless the configuration accepts them", "[config]") {
  for (const char* line : {"target = http://h/x token_file=/etc/kdumpkit/token\n",
                           "target = http://h/x basic_auth_file=/etc/kdumpkit/basic\n"}) {
    CAPTURE(line);
    auto c = parse_config(line, "k.conf");
    REQUIRE_FALSE(c.ok());
    CHECK_THAT(c.error().message,
               Catch::Contains("k.conf:1") && Catch::Contains("plain_http_credentials=yes"));
  }
  CHECK(parse_config("target = http://h/x token_file=/etc/kdumpkit/token plain_http_credentials=yes\n", "k")
            .ok());
  CHECK(parse_config("target = https://h/x token_file=/etc/kdumpkit/token\n", "k").ok());
  CHECK(parse_config("target = http://h/x\n", "k").ok());  // nothing secret to send
  CHECK_FALSE(parse_config("target = http://h/x plain_http_credentials=no\n", "k").ok());
}
