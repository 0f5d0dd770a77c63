// The network targets that are not filesystems (http, https, s3, sftp,
// ssh), opened
// the same way by the capture (to upload a crash directory) and by `load`
// (to check them before arming), and the files they need carried into the
// capture initramfs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "targets/crash_store.h"
#include "util/result.h"

namespace kdk::targets {

// The system CA bundle, carried at the same path when an https:// (or S3
// over https) target has no ca= option.
inline constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

// http, https, s3, sftp and ssh go through a CrashStore; nfs is mounted instead.
bool is_upload_target(const config::NetworkTarget& target);

// The store for `target`, its files under `crash_dir` (empty: the target's
// own path, for checks). Reads the credential files; no traffic yet.
Result<std::unique_ptr<CrashStore>> open_crash_store(const config::Config& config,
                                                     const config::NetworkTarget& target,
                                                     const std::string& crash_dir);

// For `load`: writes and deletes a small test object; the error says what
// to fix (connection, certificate, host key, credentials).
Status check_crash_store(const config::Config& config, const config::NetworkTarget& target);

// Files the configuration's network targets name (CA bundles, credentials,
// client certificates, SSH keys and known_hosts, by default or not), plus the
// system CA bundle when a TLS target names none: absolute paths, no
// duplicates, in configuration order.
std::vector<std::string> files_to_carry(const config::Config& config);

}  // namespace kdk::targets
