#include "agent/net/dhcp_packet.h"

#include <catch2/catch.hpp>

#include "dhcp_recorded.inc"

using namespace kdk;
using namespace kdk::net;

namespace {

std::vector<uint8_t> bytes(const uint8_t* p, size_t n) { return {p, p + n}; }

DhcpMessage dhcp_of(const uint8_t* p, size_t n) {
  auto udp = decode_ipv4_udp(p, n);
  REQUIRE(udp);
  auto m = decode_dhcp(udp->payload.data(), udp->payload.size());
  REQUIRE(m);
  return *m;
}

}  // namespace

TEST_CASE("dhcp: dnsmasq's recorded OFFER and ACK decode to the lease it was configured to give",
          "[net][dhcp]") {
  for (auto [p, n, type] : {std::tuple{kDnsmasqOffer, sizeof kDnsmasqOffer, DhcpType::kOffer},
                            std::tuple{kDnsmasqAck, sizeof kDnsmasqAck, DhcpType::kAck}}) {
    auto udp = decode_ipv4_udp(p, n);
    REQUIRE(udp);
    CHECK(udp->source == 0x0a4d0001);
    CHECK(udp->source_port == 67);
    CHECK(udp->destination_port == 68);
    DhcpMessage m = dhcp_of(p, n);
    CHECK(m.op == 2);
    CHECK(m.type == type);
    CHECK((m.yiaddr >> 8) == 0x0a4d00);
    CHECK((m.yiaddr & 0xff) >= 50);
    CHECK((m.yiaddr & 0xff) <= 99);
    CHECK(m.chaddr == std::array<uint8_t, 6>{0x02, 0, 0, 0, 0x77, 0x02});
    REQUIRE(m.server_id);
    CHECK(ipv4_text(*m.server_id) == "10.77.0.1");
    REQUIRE(m.subnet_mask);
    CHECK(*netmask_prefix(*m.subnet_mask) == 24);
    CHECK(m.routers == std::vector<Ipv4>{0x0a4d0001});
    CHECK(m.dns == std::vector<Ipv4>{0x0a4d0035, 0x0a4d0036});
    CHECK(m.domain_name == "kdk.test");
    CHECK(m.lease_seconds == 3600u);
  }
  // Both replies are for the transaction of the recorded DISCOVER.
  CHECK(dhcp_of(kDnsmasqOffer, sizeof kDnsmasqOffer).xid ==
        dhcp_of(kDnsmasqDiscover, sizeof kDnsmasqDiscover).xid);
  CHECK(dhcp_of(kDnsmasqAck, sizeof kDnsmasqAck).xid == dhcp_of(kDnsmasqRequest, sizeof kDnsmasqRequest).xid);
}

TEST_CASE("dhcp: our recorded DISCOVER and REQUEST (which dnsmasq answered) re-encode byte for byte",
          "[net][dhcp]") {
  for (auto [p, n] : {std::pair{kDnsmasqDiscover, sizeof kDnsmasqDiscover},
                      std::pair{kDnsmasqRequest, sizeof kDnsmasqRequest}}) {
    auto udp = decode_ipv4_udp(p, n);
    REQUIRE(udp);
    CHECK(udp->source == 0);
    CHECK(udp->destination == 0xffffffff);
    DhcpMessage m = dhcp_of(p, n);
    CHECK(m.op == 1);
    CHECK(m.broadcast);
    CHECK(m.host_name == "crashed-host");
    CHECK(m.parameter_requests == std::vector<uint8_t>{1, 3, 6, 15, 51, 54});
    CHECK(encode_ipv4_udp(*udp) == bytes(p, n));
    CHECK(encode_dhcp(m) == udp->payload);
  }
  DhcpMessage req = dhcp_of(kDnsmasqRequest, sizeof kDnsmasqRequest);
  CHECK(req.type == DhcpType::kRequest);
  CHECK(req.requested_ip == dhcp_of(kDnsmasqOffer, sizeof kDnsmasqOffer).yiaddr);
  CHECK(req.server_id == 0x0a4d0001u);
}

TEST_CASE("dhcp: every truncation of a recorded reply is refused, none crashes", "[net][dhcp]") {
  std::vector<uint8_t> whole = bytes(kDnsmasqAck, sizeof kDnsmasqAck);
  auto udp = decode_ipv4_udp(whole.data(), whole.size());
  REQUIRE(udp);
  const auto& payload = udp->payload;
  // Cut inside the options: before the end option there is no valid message.
  size_t end = payload.size();
  while (end > 0 && payload[end - 1] != 255) --end;
  for (size_t n = 0; n + 1 < end; ++n) {
    INFO("payload cut at " << n);
    CHECK_FALSE(decode_dhcp(payload.data(), n));
  }
  for (size_t n = 0; n < whole.size(); ++n) {
    INFO("packet cut at " << n);
    CHECK_FALSE(decode_ipv4_udp(whole.data(), n));
  }
}

TEST_CASE("dhcp: malformed messages say what is wrong", "[net][dhcp]") {
  DhcpMessage m;
  m.op = 2;
  m.type = DhcpType::kOffer;
  m.xid = 7;
  auto good = encode_dhcp(m);
  REQUIRE(decode_dhcp(good.data(), good.size()));

  auto no_cookie = good;
  no_cookie[236] = 0;
  CHECK(decode_dhcp(no_cookie.data(), no_cookie.size()).error().message.find("magic cookie") !=
        std::string::npos);

  auto overrun = good;
  overrun.resize(240);
  overrun.insert(overrun.end(), {53, 1, 2, 6, 200, 10, 0});
  CHECK(decode_dhcp(overrun.data(), overrun.size()).error().message ==
        "DHCP option 6 at offset 243: length 200 runs past the end (247 bytes)");

  auto bad_router = good;
  bad_router.resize(240);
  bad_router.insert(bad_router.end(), {53, 1, 2, 3, 3, 10, 0, 0, 255});
  CHECK(decode_dhcp(bad_router.data(), bad_router.size()).error().message ==
        "option router has length 3, not a multiple of 4");

  auto no_type = good;
  no_type.resize(240);
  no_type.push_back(255);
  CHECK(decode_dhcp(no_type.data(), no_type.size()).error().message ==
        "DHCP message without a message type (option 53)");

  auto overload = good;
  overload.resize(240);
  overload.insert(overload.end(), {53, 1, 2, 52, 1, 3, 255});
  CHECK_FALSE(decode_dhcp(overload.data(), overload.size()));
}

TEST_CASE("dhcp: IPv4/UDP framing round-trips and checks the header checksum", "[net][dhcp]") {
  UdpDatagram d;
  d.source = 0x0a000001;
  d.destination = 0xffffffff;
  d.source_port = 67;
  d.destination_port = 68;
  d.payload = {1, 2, 3, 4, 5};
  auto p = encode_ipv4_udp(d);
  CHECK(p.size() == 33);
  auto back = decode_ipv4_udp(p.data(), p.size());
  REQUIRE(back);
  CHECK(back->source == d.source);
  CHECK(back->payload == d.payload);
  p[8] ^= 1;  // TTL changed without the checksum
  CHECK(decode_ipv4_udp(p.data(), p.size()).error().message == "IPv4 header checksum mismatch");
}

TEST_CASE("dhcp: netmask to prefix length", "[net][dhcp]") {
  CHECK(*netmask_prefix(0xffffff00) == 24);
  CHECK(*netmask_prefix(0xffffffff) == 32);
  CHECK(*netmask_prefix(0) == 0);
  CHECK(*netmask_prefix(0xfffffffc) == 30);
  CHECK_FALSE(netmask_prefix(0xff00ff00));
  CHECK(ipv4_text(0xc0000201) == "192.0.2.1");
}
