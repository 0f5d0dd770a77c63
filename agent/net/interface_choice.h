// Which network interface the capture kernel uses: the configured one (by
// name or MAC), else the one whose MAC `load` recorded (names can differ in
// the capture kernel, MACs do not), else the first that gets a link. Pure,
// so the rules are tested without interfaces.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/result.h"
#include "util/rtnetlink.h"

namespace kdk::net {

struct InterfaceChoice {
  std::optional<int> index;  // none: bring every candidate up, take the first with a link
  std::string reason;        // for the log: "configured eth1", "MAC 52:54:... recorded by load"
};

// True for "52:54:00:12:34:56" (either case, ':' or '-' separated).
bool looks_like_mac(const std::string& text);
// Lower case, ':' separated; empty when `text` is not a MAC.
std::string normalize_mac(const std::string& text);

// An error when the configured interface is absent (naming what exists);
// a recorded MAC that is absent only falls through to "first with a link".
Result<InterfaceChoice> choose_interface(const std::vector<rtnl::Link>& links, const std::string& configured,
                                         const std::string& recorded_mac);

}  // namespace kdk::net
