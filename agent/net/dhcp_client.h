// A DHCPv4 client for the capture kernel: DISCOVER, OFFER, REQUEST, ACK,
// with retransmission (exponential backoff) and an overall timeout on an
// injected clock. It sends and receives whole IPv4 packets through a
// Transport, so the exchange is tested against recorded server packets.
//
// Why a packet socket (AF_PACKET, SOCK_DGRAM) rather than a UDP socket with
// SO_BINDTODEVICE: before it has an address, the kernel's IPv4 input drops
// a reply unicast to the offered address (dnsmasq unicasts when it can, and
// the broadcast flag is only a request), and the UDP socket's source address
// selection depends on routes that do not exist yet. A packet socket bound to
// the interface sees the OFFER and ACK however they are addressed, and
// sends from 0.0.0.0 to the Ethernet broadcast without any IP configuration.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/net/dhcp_packet.h"
#include "util/clock.h"
#include "util/result.h"

namespace kdk::net {

struct DhcpLease {
  Ipv4 address = 0;
  int prefix = 24;
  std::vector<Ipv4> routers;
  std::vector<Ipv4> dns;
  std::string domain;
  uint32_t lease_seconds = 0;  // 0: not given
  Ipv4 server = 0;             // server identifier

  // "dhcp from 10.0.2.2, lease 86400 s"
  std::string describe() const;
};

// Moves IPv4 packets (no link-layer header) to and from one interface.
class DhcpTransport {
 public:
  virtual ~DhcpTransport() = default;
  virtual Status send(const std::vector<uint8_t>& ipv4_packet) = 0;
  // The next packet, or nullopt when `wait` passed without one.
  virtual Result<std::optional<std::vector<uint8_t>>> receive(std::chrono::milliseconds wait) = 0;
};

// An AF_PACKET socket bound to `ifindex` receiving IPv4.
Result<std::unique_ptr<DhcpTransport>> open_packet_transport(int ifindex);

struct DhcpTiming {
  std::chrono::milliseconds timeout{30000};          // the whole exchange
  std::chrono::milliseconds first_retransmit{1000};  // then doubled
  std::chrono::milliseconds max_retransmit{8000};
  int request_attempts = 3;  // REQUESTs without an ACK before starting over
};

// Obtains a lease for hardware address `mac` with transaction id `xid`.
// The error says how far it got (no OFFER, no ACK, NAK with its reason).
Result<DhcpLease> obtain_lease(DhcpTransport& transport, const std::array<uint8_t, 6>& mac, uint32_t xid,
                               const DhcpTiming& timing, const Clock& clock,
                               const std::string& host_name = "");

}  // namespace kdk::net
