#include "targets/ssh/ssh_target.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "util/format.h"
#include "util/sha256.h"

namespace kdk::targets::ssh {

bool is_ssh_target(const config::NetworkTarget& t) { return t.scheme == "sftp" || t.scheme == "ssh"; }

std::string identity_file(const config::NetworkTarget& t) { return t.option("identity", kDefaultIdentity); }

std::string known_hosts_file(const config::NetworkTarget& t) {
  return t.option("known_hosts", kDefaultKnownHosts);
}

Endpoint endpoint_of(const config::NetworkTarget& t) {
  config::HostPort hp = config::split_host_port(t.host);
  Endpoint e;
  e.user = t.user.empty() ? kDefaultUser : t.user;
  e.host = hp.host;
  e.port = hp.port.empty() ? 22 : std::atoi(hp.port.c_str());
  return e;
}

std::string remote_directory(const config::NetworkTarget& t) {
  if (t.path == "/~") return ".";
  if (t.path.rfind("/~/", 0) == 0) return t.path.substr(3);
  return t.path;
}

std::string remote_join(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir == ".") return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

std::string incomplete_name(const std::string& name) {
  if (name == "vmcore" || name == "vmcore.flat") return "vmcore-incomplete";
  size_t dot = name.rfind('.');
  if (name == "vmcore-dmesg.txt" || name == "kdumpkit.log")
    return name.substr(0, dot) + "-incomplete" + name.substr(dot);
  return name + "-incomplete";
}

SshStoreSettings ssh_store_settings(const config::Config& config) {
  SshStoreSettings s;
  s.retry.attempts = std::max(config.retries, 1);
  return s;
}

Result<SshCredentials> read_credentials(const config::NetworkTarget& target) {
  SshCredentials c;
  c.endpoint = endpoint_of(target);
  auto key = SshKey::load(identity_file(target));
  if (!key) return key.error().within(target.url());
  c.key = std::make_unique<SshKey>(std::move(*key));
  // Whoever may change known_hosts may redirect the dumps: root's own file.
  const std::string known_path = known_hosts_file(target);
  struct stat st {};
  if (::stat(known_path.c_str(), &st) != 0)
    return Error::from_errno(errno, target.url() + ": known_hosts " + known_path);
  if (st.st_uid != ::geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
    return Error{format("%s: known_hosts %s must be owned by uid %u and writable by it alone (mode %04o)",
                        target.url().c_str(), known_path.c_str(), static_cast<unsigned>(::geteuid()),
                        static_cast<unsigned>(st.st_mode & 07777))};
  }
  auto known = KnownHosts::load(known_path);
  if (!known) return known.error().within(target.url());
  c.known_hosts = std::make_unique<KnownHosts>(std::move(*known));
  return c;
}

Result<Connection*> ConnectionCache::get() {
  if (!connection_) {
    auto c = Connection::open(credentials_.endpoint, *credentials_.key, *credentials_.known_hosts, options_);
    if (!c) return c.error();
    connection_ = std::move(*c);
  }
  return connection_.get();
}

Error ConnectionCache::failed(const Error& e) {
  if (e.errno_value != 0) connection_.reset();
  return e;
}

DigestWriter::DigestWriter(ByteWriter& out) : out_(out), sha_(std::make_unique<Sha256>()) {}
DigestWriter::~DigestWriter() = default;

Status DigestWriter::write(const void* data, size_t size) {
  if (refused_) return *refused_;
  if (Status s = out_.write(data, size); !s) {
    refused_ = s.error();
    return s;
  }
  sha_->update(data, size);
  bytes_ += size;
  return {};
}

std::string DigestWriter::hex_digest() { return sha_->hex_digest(); }

}  // namespace kdk::targets::ssh
