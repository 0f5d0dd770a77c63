#include "agent/net/dhcp_client.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "util/fd.h"
#include "util/format.h"
#include "util/log.h"

namespace kdk::net {

using std::chrono::milliseconds;

std::string DhcpLease::describe() const {
  std::string s = "dhcp from " + ipv4_text(server);
  if (lease_seconds) s += format(", lease %u s", lease_seconds);
  return s;
}

namespace {

constexpr uint16_t kClientPort = 68;
constexpr uint16_t kServerPort = 67;

class PacketTransport : public DhcpTransport {
 public:
  PacketTransport(UniqueFd fd, int ifindex) : fd_(std::move(fd)), ifindex_(ifindex) {}

  Status send(const std::vector<uint8_t>& packet) override {
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_protocol = htons(ETH_P_IP);
    to.sll_ifindex = ifindex_;
    to.sll_halen = 6;
    std::fill(to.sll_addr, to.sll_addr + 6, 0xff);
    if (::sendto(fd_.get(), packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) <
        0) {
      return Error::from_errno(errno, "send DHCP packet");
    }
    return {};
  }

  Result<std::optional<std::vector<uint8_t>>> receive(milliseconds wait) override {
    pollfd p{fd_.get(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, wait.count())));
    if (r < 0) {
      if (errno == EINTR) return std::optional<std::vector<uint8_t>>();
      return Error::from_errno(errno, "poll DHCP socket");
    }
    if (r == 0) return std::optional<std::vector<uint8_t>>();
    std::vector<uint8_t> buf(2048);
    ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) return std::optional<std::vector<uint8_t>>();
      return Error::from_errno(errno, "receive DHCP packet");
    }
    buf.resize(static_cast<size_t>(n));
    return std::optional<std::vector<uint8_t>>(std::move(buf));
  }

 private:
  UniqueFd fd_;
  int ifindex_;
};

class Exchange {
 public:
  Exchange(DhcpTransport& t, const std::array<uint8_t, 6>& mac, uint32_t xid, const Clock& clock,
           const std::string& host_name)
      : t_(t), mac_(mac), xid_(xid), clock_(clock), host_name_(host_name), start_(clock.now()) {}

  Status send(DhcpMessage m) {
    m.op = 1;
    m.xid = xid_;
    m.chaddr = mac_;
    m.broadcast = true;
    m.host_name = host_name_;
    m.secs = static_cast<uint16_t>(std::min<long long>(0xffff, (clock_.now() - start_).count() / 1000));
    // Subnet mask, router, DNS, domain name, lease time, server identifier.
    m.parameter_requests = {1, 3, 6, 15, 51, 54};
    UdpDatagram d;
    d.source = 0;
    d.destination = 0xffffffff;
    d.source_port = kClientPort;
    d.destination_port = kServerPort;
    d.payload = encode_dhcp(m);
    log::info("dhcp: %s xid 0x%08x%s", dhcp_type_name(m.type), xid_,
              m.requested_ip ? (" for " + ipv4_text(*m.requested_ip)).c_str() : "");
    return t_.send(encode_ipv4_udp(d));
  }

  // The next reply to us of one of the wanted types, until `until`.
  Result<std::optional<DhcpMessage>> await(std::initializer_list<DhcpType> wanted, milliseconds until) {
    for (;;) {
      milliseconds left = until - clock_.now();
      if (left.count() <= 0) return std::optional<DhcpMessage>();
      auto pkt = t_.receive(left);
      if (!pkt) return pkt.error();
      if (!*pkt) continue;
      auto udp = decode_ipv4_udp((*pkt)->data(), (*pkt)->size());
      if (!udp || udp->destination_port != kClientPort) continue;
      auto m = decode_dhcp(udp->payload.data(), udp->payload.size());
      if (!m) {
        log::warn("dhcp: ignoring a malformed reply from %s: %s", ipv4_text(udp->source).c_str(),
                  m.error().message.c_str());
        continue;
      }
      if (m->op != 2 || m->xid != xid_ || m->chaddr != mac_) continue;
      if (std::find(wanted.begin(), wanted.end(), m->type) == wanted.end()) continue;
      if (!m->server_id) m->server_id = udp->source;
      return std::optional<DhcpMessage>(std::move(*m));
    }
  }

  milliseconds elapsed() const { return clock_.now() - start_; }
  const Clock& clock() const { return clock_; }

 private:
  DhcpTransport& t_;
  std::array<uint8_t, 6> mac_;
  uint32_t xid_;
  const Clock& clock_;
  std::string host_name_;
  milliseconds start_;
};

int classful_prefix(Ipv4 a) {
  if ((a >> 31) == 0) return 8;
  if ((a >> 30) == 2) return 16;
  return 24;
}

DhcpLease lease_from(const DhcpMessage& ack) {
  DhcpLease l;
  l.address = ack.yiaddr;
  l.prefix = classful_prefix(ack.yiaddr);
  if (ack.subnet_mask) {
    if (auto p = netmask_prefix(*ack.subnet_mask)) l.prefix = *p;
  }
  l.routers = ack.routers;
  l.dns = ack.dns;
  l.domain = ack.domain_name;
  l.lease_seconds = ack.lease_seconds.value_or(0);
  l.server = ack.server_id.value_or(0);
  return l;
}

}  // namespace

Result<std::unique_ptr<DhcpTransport>> open_packet_transport(int ifindex) {
  UniqueFd fd(::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP)));
  if (!fd.valid()) return Error::from_errno(errno, "packet socket");
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_IP);
  addr.sll_ifindex = ifindex;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Error::from_errno(errno, format("bind packet socket to link %d", ifindex));
  }
  return std::unique_ptr<DhcpTransport>(new PacketTransport(std::move(fd), ifindex));
}

Result<DhcpLease> obtain_lease(DhcpTransport& transport, const std::array<uint8_t, 6>& mac, uint32_t xid,
                               const DhcpTiming& timing, const Clock& clock, const std::string& host_name) {
  Exchange ex(transport, mac, xid, clock, host_name);
  const milliseconds deadline = clock.now() + timing.timeout;
  int discovers = 0, requests = 0, naks = 0;
  std::string last_nak;
  while (clock.now() < deadline) {
    // Selecting: DISCOVER until an OFFER, the interval doubling.
    std::optional<DhcpMessage> offer;
    milliseconds interval = timing.first_retransmit;
    while (!offer && clock.now() < deadline) {
      DhcpMessage discover;
      discover.type = DhcpType::kDiscover;
      if (auto s = ex.send(discover); !s) return s.error();
      ++discovers;
      auto r = ex.await({DhcpType::kOffer}, std::min(clock.now() + interval, deadline));
      if (!r) return r.error();
      offer = *r;
      interval = std::min(interval * 2, timing.max_retransmit);
    }
    if (!offer) break;
    log::info("dhcp: DHCPOFFER of %s from %s after %lld ms", ipv4_text(offer->yiaddr).c_str(),
              ipv4_text(*offer->server_id).c_str(), static_cast<long long>(ex.elapsed().count()));
    // Requesting: the offered address from that server.
    interval = timing.first_retransmit;
    for (int attempt = 0; attempt < timing.request_attempts && clock.now() < deadline; ++attempt) {
      DhcpMessage request;
      request.type = DhcpType::kRequest;
      request.requested_ip = offer->yiaddr;
      request.server_id = offer->server_id;
      if (auto s = ex.send(request); !s) return s.error();
      ++requests;
      auto r = ex.await({DhcpType::kAck, DhcpType::kNak}, std::min(clock.now() + interval, deadline));
      if (!r) return r.error();
      interval = std::min(interval * 2, timing.max_retransmit);
      if (!*r) continue;
      if ((*r)->type == DhcpType::kNak) {
        ++naks;
        last_nak = (*r)->message;
        log::warn("dhcp: DHCPNAK from %s%s%s; starting over", ipv4_text(*(*r)->server_id).c_str(),
                  last_nak.empty() ? "" : ": ", last_nak.c_str());
        // Not at once: a server that refuses every REQUEST is not hammered.
        clock.sleep(std::min(timing.first_retransmit, std::max(milliseconds(0), deadline - clock.now())));
        break;
      }
      if ((*r)->yiaddr == 0)
        return Error{"DHCPACK from " + ipv4_text(*(*r)->server_id) + " without an address"};
      DhcpLease lease = lease_from(**r);
      log::info("dhcp: DHCPACK %s/%d from %s, lease %u s, after %lld ms", ipv4_text(lease.address).c_str(),
                lease.prefix, ipv4_text(lease.server).c_str(), lease.lease_seconds,
                static_cast<long long>(ex.elapsed().count()));
      return lease;
    }
  }
  std::string what = requests == 0 ? "no DHCPOFFER" : "no DHCPACK";
  if (naks) what += format(" (%d DHCPNAK%s%s)", naks, last_nak.empty() ? "" : ", last: ", last_nak.c_str());
  return Error{format("%s within %lld s (%d DHCPDISCOVER, %d DHCPREQUEST sent)", what.c_str(),
                      static_cast<long long>(timing.timeout.count() / 1000), discovers, requests)};
}

}  // namespace kdk::net
