#include "agent/net/dhcp_client.h"

#include <catch2/catch.hpp>

#include "dhcp_recorded.inc"
#include "dhcp_slirp.inc"
#include "fake_dhcp_server.h"

using namespace kdk;
using namespace kdk::net;
using namespace kdk::net::testing;
using std::chrono::milliseconds;

namespace {

const std::array<uint8_t, 6> kMac{0x02, 0, 0, 0, 0x77, 0x02};

Packet recorded(const uint8_t* p, size_t n) { return Packet(p, p + n); }

uint32_t recorded_xid() {
  auto udp = decode_ipv4_udp(kDnsmasqOffer, sizeof kDnsmasqOffer);
  return decode_dhcp(udp->payload.data(), udp->payload.size())->xid;
}

DhcpMessage reply(DhcpType type, uint32_t xid, Ipv4 yiaddr = 0x0a4d0042) {
  DhcpMessage m;
  m.op = 2;
  m.type = type;
  m.xid = xid;
  m.chaddr = kMac;
  m.yiaddr = yiaddr;
  m.server_id = 0x0a4d0001;
  m.subnet_mask = 0xffffff00;
  m.routers = {0x0a4d0001};
  m.lease_seconds = 600;
  return m;
}

}  // namespace

TEST_CASE("dhcp client: DISCOVER, recorded OFFER, REQUEST, recorded ACK", "[net][dhcp]") {
  FakeClock fc;
  ScriptedServer server(fc, [](const DhcpMessage& m) -> std::vector<Packet> {
    if (m.type == DhcpType::kDiscover) return {recorded(kDnsmasqOffer, sizeof kDnsmasqOffer)};
    if (m.type == DhcpType::kRequest) return {recorded(kDnsmasqAck, sizeof kDnsmasqAck)};
    return {};
  });
  auto lease = obtain_lease(server, kMac, recorded_xid(), DhcpTiming{}, fc.clock(), "crashed-host");
  REQUIRE(lease);
  CHECK((lease->address >> 8) == 0x0a4d00);
  CHECK(lease->prefix == 24);
  CHECK(lease->routers == std::vector<Ipv4>{0x0a4d0001});
  CHECK(lease->dns == std::vector<Ipv4>{0x0a4d0035, 0x0a4d0036});
  CHECK(lease->domain == "kdk.test");
  CHECK(lease->describe() == "dhcp from 10.77.0.1, lease 3600 s");
  REQUIRE(server.sent.size() == 2);
  CHECK(server.sent[0].type == DhcpType::kDiscover);
  CHECK(server.sent[1].type == DhcpType::kRequest);
  CHECK(server.sent[1].requested_ip == lease->address);
  CHECK(server.sent[1].server_id == 0x0a4d0001u);
  CHECK(server.sent[1].xid == recorded_xid());
  CHECK(server.sent_udp[1].source == 0);
  CHECK(server.sent_udp[1].destination == 0xffffffff);
}

TEST_CASE("dhcp client: silence retransmits with doubling intervals, then times out", "[net][dhcp]") {
  FakeClock fc;
  ScriptedServer server(fc, [](const DhcpMessage&) { return std::vector<Packet>{}; });
  DhcpTiming t;
  t.timeout = milliseconds(30000);
  auto lease = obtain_lease(server, kMac, 1, t, fc.clock());
  REQUIRE_FALSE(lease);
  CHECK(lease.error().message == "no DHCPOFFER within 30 s (6 DHCPDISCOVER, 0 DHCPREQUEST sent)");
  CHECK(server.sent_at == std::vector<milliseconds>{milliseconds(0), milliseconds(1000), milliseconds(3000),
                                                    milliseconds(7000), milliseconds(15000),
                                                    milliseconds(23000)});
  CHECK(fc.t == milliseconds(30000));
  // secs counts from the first DISCOVER.
  CHECK(server.sent[5].secs == 23);
}

TEST_CASE("dhcp client: replies for another transaction or another client are ignored", "[net][dhcp]") {
  FakeClock fc;
  int discovers = 0;
  ScriptedServer server(fc, [&](const DhcpMessage& m) -> std::vector<Packet> {
    if (m.type == DhcpType::kDiscover) {
      ++discovers;
      auto other_client = reply(DhcpType::kOffer, m.xid);
      other_client.chaddr[5] = 0x99;
      std::vector<Packet> out{reply_packet(reply(DhcpType::kOffer, m.xid + 1)), reply_packet(other_client)};
      // Only the second DISCOVER gets a real answer.
      if (discovers == 2) out.push_back(reply_packet(reply(DhcpType::kOffer, m.xid)));
      return out;
    }
    return {reply_packet(reply(DhcpType::kAck, m.xid))};
  });
  auto lease = obtain_lease(server, kMac, 42, DhcpTiming{}, fc.clock());
  REQUIRE(lease);
  CHECK(discovers == 2);
  CHECK(lease->address == 0x0a4d0042u);
  CHECK(lease->describe() == "dhcp from 10.77.0.1, lease 600 s");
}

TEST_CASE("dhcp client: a NAK starts over from DISCOVER", "[net][dhcp]") {
  FakeClock fc;
  int requests = 0;
  ScriptedServer server(fc, [&](const DhcpMessage& m) -> std::vector<Packet> {
    if (m.type == DhcpType::kDiscover)
      return {reply_packet(reply(DhcpType::kOffer, m.xid, 0x0a4d0040 + requests))};
    if (++requests == 1) {
      auto nak = reply(DhcpType::kNak, m.xid, 0);
      nak.message = "address in use";
      return {reply_packet(nak)};
    }
    return {reply_packet(reply(DhcpType::kAck, m.xid, *m.requested_ip))};
  });
  auto lease = obtain_lease(server, kMac, 42, DhcpTiming{}, fc.clock());
  REQUIRE(lease);
  CHECK(lease->address == 0x0a4d0041u);
  REQUIRE(server.sent.size() == 4);
  CHECK(server.sent[2].type == DhcpType::kDiscover);
}

TEST_CASE("dhcp client: an OFFER without an ACK is retried, then the error names the NAKs", "[net][dhcp]") {
  FakeClock fc;
  ScriptedServer server(fc, [&](const DhcpMessage& m) -> std::vector<Packet> {
    if (m.type == DhcpType::kDiscover) return {reply_packet(reply(DhcpType::kOffer, m.xid))};
    auto nak = reply(DhcpType::kNak, m.xid, 0);
    nak.message = "wrong network";
    return {reply_packet(nak)};
  });
  DhcpTiming t;
  t.timeout = milliseconds(5000);
  auto lease = obtain_lease(server, kMac, 42, t, fc.clock());
  REQUIRE_FALSE(lease);
  // A NAK waits a second before the next DISCOVER, so a few rounds fit in 5 s.
  CHECK(lease.error().message.rfind("no DHCPACK (", 0) == 0);
  CHECK(lease.error().message.find("DHCPNAK, last: wrong network) within 5 s") != std::string::npos);
}

TEST_CASE("dhcp client: QEMU's slirp server, recorded (restricted: no router, no DNS)", "[net][dhcp]") {
  auto udp = decode_ipv4_udp(kSlirpOffer, sizeof kSlirpOffer);
  REQUIRE(udp);
  auto offer = decode_dhcp(udp->payload.data(), udp->payload.size());
  REQUIRE(offer);
  const std::array<uint8_t, 6> mac{0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
  CHECK(offer->chaddr == mac);
  FakeClock fc;
  ScriptedServer server(fc, [](const DhcpMessage& m) -> std::vector<Packet> {
    if (m.type == DhcpType::kDiscover) return {recorded(kSlirpOffer, sizeof kSlirpOffer)};
    if (m.type == DhcpType::kRequest) return {recorded(kSlirpAck, sizeof kSlirpAck)};
    return {};
  });
  auto lease = obtain_lease(server, mac, offer->xid, DhcpTiming{}, fc.clock());
  REQUIRE(lease);
  CHECK(ipv4_text(lease->address) == "10.0.2.15");
  CHECK(lease->prefix == 24);
  CHECK(lease->routers.empty());
  CHECK(lease->dns.empty());
  CHECK(lease->describe() == "dhcp from 10.0.2.2, lease 86400 s");
  // Our recorded REQUEST is what this client sends for that OFFER.
  auto req_udp = decode_ipv4_udp(kSlirpRequest, sizeof kSlirpRequest);
  REQUIRE(req_udp);
  auto request = decode_dhcp(req_udp->payload.data(), req_udp->payload.size());
  REQUIRE(request);
  CHECK(request->requested_ip == server.sent[1].requested_ip);
  CHECK(request->server_id == server.sent[1].server_id);
  CHECK(request->host_name == "kdk-guest");
}
