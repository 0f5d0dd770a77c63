// DHCPv4 messages (RFC 2131/2132) and the IPv4/UDP framing the client needs
// before it has an address: pure encode/decode, no sockets, so it is tested
// against packets recorded from real servers (tests/agent/net/).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace kdk::net {

// An IPv4 address in host byte order (0xc0000201 is 192.0.2.1).
using Ipv4 = uint32_t;
std::string ipv4_text(Ipv4 a);

enum class DhcpType : uint8_t {
  kNone = 0,
  kDiscover = 1,
  kOffer = 2,
  kRequest = 3,
  kDecline = 4,
  kAck = 5,
  kNak = 6,
  kRelease = 7,
};
const char* dhcp_type_name(DhcpType t);

struct DhcpMessage {
  uint8_t op = 1;  // 1 BOOTREQUEST, 2 BOOTREPLY
  uint32_t xid = 0;
  uint16_t secs = 0;
  bool broadcast = false;  // ask the server to broadcast its reply
  Ipv4 ciaddr = 0, yiaddr = 0, siaddr = 0, giaddr = 0;
  std::array<uint8_t, 6> chaddr{};
  DhcpType type = DhcpType::kNone;          // option 53
  std::optional<Ipv4> subnet_mask;          // option 1
  std::vector<Ipv4> routers;                // option 3
  std::vector<Ipv4> dns;                    // option 6
  std::string domain_name;                  // option 15
  std::optional<uint32_t> lease_seconds;    // option 51
  std::optional<Ipv4> server_id;            // option 54
  std::optional<Ipv4> requested_ip;         // option 50
  std::vector<uint8_t> parameter_requests;  // option 55
  std::string host_name;                    // option 12
  std::string message;                      // option 56 (a NAK's reason)
};

// The BOOTP/DHCP payload (at least 300 bytes, as some servers require).
std::vector<uint8_t> encode_dhcp(const DhcpMessage& m);
// Rejects anything that is not a well-formed DHCP message; options the
// client does not use are skipped.
Result<DhcpMessage> decode_dhcp(const uint8_t* data, size_t size);

struct UdpDatagram {
  Ipv4 source = 0, destination = 0;
  uint16_t source_port = 0, destination_port = 0;
  std::vector<uint8_t> payload;
};

// An IPv4 packet (header without options) carrying a UDP datagram, with
// both checksums computed.
std::vector<uint8_t> encode_ipv4_udp(const UdpDatagram& d);
// The UDP datagram in an IPv4 packet; errors for anything else. The IP
// header checksum is checked; the UDP one is not, because a packet looped
// through veth or virtio with checksum offload reaches a packet socket
// before its UDP checksum is filled in.
Result<UdpDatagram> decode_ipv4_udp(const uint8_t* data, size_t size);

// The prefix length of a contiguous netmask (255.255.255.0 -> 24), or an
// error for a non-contiguous one.
Result<int> netmask_prefix(Ipv4 mask);

}  // namespace kdk::net
