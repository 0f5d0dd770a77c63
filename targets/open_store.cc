#include "targets/open_store.h"

#include <unistd.h>

#include <algorithm>

#include "targets/http/http_transport.h"
#include "targets/http_store.h"
#include "targets/s3/s3_store.h"
#include "targets/sftp_store.h"
#include "targets/ssh/ssh_target.h"
#include "targets/ssh_command_store.h"

namespace kdk::targets {

namespace {

bool uses_tls(const config::NetworkTarget& t) {
  if (t.scheme == "https") return true;
  if (t.scheme == "s3") return t.option("endpoint", "https://").rfind("https://", 0) == 0;
  return false;
}

std::string default_ca(const config::NetworkTarget& t) {
  if (!t.option("ca").empty() || !uses_tls(t)) return "";
  return ::access(kSystemCaBundle, R_OK) == 0 ? kSystemCaBundle : "";
}

// An S3Store with the transport it borrows.
class OwnedS3Store final : public CrashStore {
 public:
  OwnedS3Store(std::unique_ptr<http::Transport> transport, s3::S3Options options)
      : transport_(std::move(transport)), store_(std::move(options), *transport_) {}
  std::string where() const override { return store_.where(); }
  Result<StoredObject> put(const std::string& name, std::string_view data) override { return store_.put(name, data); }
  Result<StoredObject> put_stream(const std::string& name, const StreamProducer& produce) override {
    return store_.put_stream(name, produce);
  }
  Status check() { return store_.check(); }

 private:
  std::unique_ptr<http::Transport> transport_;
  s3::S3Store store_;
};

Result<std::unique_ptr<OwnedS3Store>> open_s3(const config::Config& config, const config::NetworkTarget& target,
                                              const std::string& crash_dir) {
  auto options = s3::s3_options(target, config.retries, crash_dir);
  if (!options) return options.error();
  http::TransportOptions transport = s3::s3_transport_options(target);
  if (transport.tls.ca_file.empty()) transport.tls.ca_file = default_ca(target);
  return std::make_unique<OwnedS3Store>(http::make_curl_transport(transport), std::move(*options));
}

}  // namespace

bool is_upload_target(const config::NetworkTarget& t) {
  return t.scheme == "http" || t.scheme == "https" || t.scheme == "s3" || ssh::is_ssh_target(t);
}

Result<std::unique_ptr<CrashStore>> open_crash_store(const config::Config& config,
                                                     const config::NetworkTarget& target,
                                                     const std::string& crash_dir) {
  if (target.scheme == "s3") {
    auto s3 = open_s3(config, target, crash_dir);
    if (!s3) return s3.error();
    return std::unique_ptr<CrashStore>(std::move(*s3));
  }
  if (target.scheme == "http" || target.scheme == "https") {
    auto http = HttpStore::open(target, crash_dir, http_store_settings(config, default_ca(target)));
    if (!http) return http.error();
    return std::unique_ptr<CrashStore>(std::move(*http));
  }
  if (target.scheme == "sftp") {
    auto sftp = SftpStore::open(target, crash_dir, ssh::ssh_store_settings(config));
    if (!sftp) return sftp.error();
    return std::unique_ptr<CrashStore>(std::move(*sftp));
  }
  if (target.scheme == "ssh") {
    auto command = SshCommandStore::open(target, crash_dir, ssh::ssh_store_settings(config));
    if (!command) return command.error();
    return std::unique_ptr<CrashStore>(std::move(*command));
  }
  return Error{"target " + target.url() + ": " + target.scheme + " is not an upload target"};
}

Status check_crash_store(const config::Config& config, const config::NetworkTarget& target) {
  if (target.scheme == "s3") {
    auto s3 = open_s3(config, target, "");
    if (!s3) return s3.error();
    return (*s3)->check();
  }
  if (target.scheme == "sftp") {
    auto sftp = SftpStore::open(target, "", ssh::ssh_store_settings(config));
    if (!sftp) return sftp.error();
    return (*sftp)->check();
  }
  if (target.scheme == "ssh") {
    auto command = SshCommandStore::open(target, "", ssh::ssh_store_settings(config));
    if (!command) return command.error();
    return (*command)->check();
  }
  auto http = HttpStore::open(target, "", http_store_settings(config, default_ca(target)));
  if (!http) return http.error();
  return (*http)->check();
}

std::vector<std::string> files_to_carry(const config::Config& config) {
  std::vector<std::string> out;
  auto add = [&](const std::string& path) {
    if (!path.empty() && std::find(out.begin(), out.end(), path) == out.end()) out.push_back(path);
  };
  for (const auto& t : config.targets) {
    const auto* net = std::get_if<config::NetworkTarget>(&t.where);
    if (!net) continue;
    for (const char* option : {"ca", "token_file", "basic_auth_file", "client_cert", "client_key", "credentials_file"}) {
      add(net->option(option));
    }
    add(default_ca(*net));
    if (ssh::is_ssh_target(*net)) {
      add(ssh::identity_file(*net));
      add(ssh::known_hosts_file(*net));
    }
  }
  return out;
}

}  // namespace kdk::targets
