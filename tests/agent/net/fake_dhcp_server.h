// A scripted DHCP peer for the client's unit tests: replies are canned
// packets (recorded from dnsmasq, or encoded here), time is a fake clock
// that advances only while the client waits.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <vector>

#include "agent/net/dhcp_client.h"
#include "agent/net/dhcp_packet.h"
#include "util/clock.h"

namespace kdk::net::testing {

using Packet = std::vector<uint8_t>;

struct FakeClock {
  std::chrono::milliseconds t{0};
  Clock clock() {
    return Clock{[this] { return t; }, [this](std::chrono::milliseconds d) { t += d; }};
  }
};

class ScriptedServer : public DhcpTransport {
 public:
  using Responder = std::function<std::vector<Packet>(const DhcpMessage& request)>;
  ScriptedServer(FakeClock& clock, Responder respond) : clock_(clock), respond_(std::move(respond)) {}

  Status send(const Packet& packet) override {
    auto udp = decode_ipv4_udp(packet.data(), packet.size());
    if (!udp) return udp.error();
    auto m = decode_dhcp(udp->payload.data(), udp->payload.size());
    if (!m) return m.error();
    sent.push_back(*m);
    sent_at.push_back(clock_.t);
    sent_udp.push_back(*udp);
    for (auto& p : respond_(*m)) queue_.push_back(std::move(p));
    return {};
  }

  Result<std::optional<Packet>> receive(std::chrono::milliseconds wait) override {
    if (!queue_.empty()) {
      Packet p = std::move(queue_.front());
      queue_.pop_front();
      clock_.t += std::chrono::milliseconds(2);  // a LAN round trip
      return std::optional<Packet>(std::move(p));
    }
    clock_.t += wait;
    return std::optional<Packet>();
  }

  std::vector<DhcpMessage> sent;
  std::vector<std::chrono::milliseconds> sent_at;
  std::vector<UdpDatagram> sent_udp;

 private:
  FakeClock& clock_;
  Responder respond_;
  std::deque<Packet> queue_;
};

// A server reply as a whole IPv4 packet.
inline Packet reply_packet(const DhcpMessage& m, Ipv4 from = 0x0a4d0001) {
  UdpDatagram d;
  d.source = from;
  d.destination = 0xffffffff;
  d.source_port = 67;
  d.destination_port = 68;
  d.payload = encode_dhcp(m);
  return encode_ipv4_udp(d);
}

}  // namespace kdk::net::testing
