// /etc/resolv.conf for musl's stub resolver: it reads at most three
// `nameserver` lines (IPv4 or IPv6) and `search`/`domain`; nothing else
// matters to it.
#pragma once

#include <string>
#include <vector>

namespace kdk::net {

// The file's text; servers beyond the third are left out (musl ignores them).
std::string render_resolv_conf(const std::vector<std::string>& servers, const std::string& search_domain);

}  // namespace kdk::net
