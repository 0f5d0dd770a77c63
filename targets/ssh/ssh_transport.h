// One SSH connection for the SSH targets, over libssh2: TCP connect with a
// timeout, key exchange offering only the host key types known_hosts lists
// for the host, the strict host key check (known_hosts.h), public key
// authentication with the target's key (ssh_key.h), then remote commands
// (kdump-utils' command mode) or an SFTP session on it.
//
// Errors are values whose errno_value says whether another attempt may
// help: non-zero for a failure of the network (refused, unreachable, reset,
// cut, timed out, resolver not ready), 0 for what another attempt would meet
// again (an unknown or changed host key, a key the server does not accept,
// a remote command or SFTP request that fails, a protocol error). Nothing
// here retries; the stores do.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "targets/ssh/known_hosts.h"
#include "targets/ssh/ssh_key.h"
#include "util/byte_writer.h"
#include "util/result.h"

namespace kdk::targets::ssh {

struct Endpoint {
  std::string user;  // login name
  std::string host;  // a name or an address, as the target's URL gives it
  int port = 22;
  std::string describe() const;  // "user@host:port"
};

struct TransportOptions {
  std::chrono::seconds connect_timeout{10};
  // A blocking step that makes no progress for this long fails (a server or
  // network that stalls), with ETIMEDOUT.
  std::chrono::seconds io_timeout{30};
  size_t write_buffer = 1u << 20;  // bytes gathered before an SFTP write or a channel write
};

class Connection;

// A remote command run through the login shell (an exec channel). Its
// standard input is this ByteWriter; its output (stdout and stderr merged)
// is kept, at most 4 KiB, for messages.
class RemoteCommand : public ByteWriter {
 public:
  ~RemoteCommand() override;
  Status write(const void* data, size_t size) override;
  // Ends standard input and waits for the command to exit: an error unless
  // it exited with status 0 (the error quotes its output).
  Status finish();

 private:
  friend class Connection;
  RemoteCommand(Connection& connection, void* channel, std::string command);
  Status flush();
  Status channel_failure(int rc, const std::string& what);
  Connection& connection_;
  void* channel_;  // LIBSSH2_CHANNEL
  std::string command_;
  std::vector<char> buffer_;
  size_t buffered_ = 0;
  bool finished_ = false;
};

class SftpFile;

// An SFTP session on a connection.
class Sftp {
 public:
  ~Sftp();
  // mkdir -p: every missing directory of `path` (absolute, or relative to
  // the login directory), mode 0700.
  Status make_directories(const std::string& path);
  // Creates or truncates `path`, mode 0600, for writing from the start.
  Result<std::unique_ptr<SftpFile>> create(const std::string& path);
  // Renames `from` to `to`, replacing `to` (SFTP v3 rename does not replace:
  // `to` is removed first; until the rename, `to` does not exist).
  Status rename_replacing(const std::string& from, const std::string& to);
  // Deletes `path`; a missing file is not an error.
  Status remove(const std::string& path);

 private:
  friend class Connection;
  friend class SftpFile;
  Sftp(Connection& connection, void* sftp) : connection_(connection), sftp_(sftp) {}
  Error failure(int rc, const std::string& what) const;
  Connection& connection_;
  void* sftp_;  // LIBSSH2_SFTP
};

// A file being written through SFTP, strictly sequentially, in large
// pipelined writes.
class SftpFile : public ByteWriter {
 public:
  ~SftpFile() override;
  Status write(const void* data, size_t size) override;
  // Sends what is buffered, asks the server to fsync (fsync@openssh.com, when
  // it has it) and closes.
  Status close();

 private:
  friend class Sftp;
  SftpFile(Sftp& sftp, void* handle, std::string path, size_t buffer);
  Status flush();
  Sftp& sftp_;
  void* handle_;  // LIBSSH2_SFTP_HANDLE
  std::string path_;
  std::vector<char> buffer_;
  size_t buffered_ = 0;
};

class Connection {
 public:
  // Resolves and connects, negotiates, checks the host key against `known`
  // and authenticates as endpoint.user with `key`. Nothing is sent to a host
  // whose key is not in `known` (beyond the key exchange itself).
  static Result<std::unique_ptr<Connection>> open(const Endpoint& endpoint, const SshKey& key,
                                                  const KnownHosts& known, const TransportOptions& options);
  ~Connection();

  // Starts `command` (sh -c on the server, by the login shell).
  Result<std::unique_ptr<RemoteCommand>> exec(const std::string& command);
  // exec(command) with `input` on its standard input, then finish().
  Status run(const std::string& command, std::string_view input = {});
  Result<std::unique_ptr<Sftp>> sftp();

  const Endpoint& endpoint() const { return endpoint_; }
  const TransportOptions& options() const { return options_; }
  // The failure of the last libssh2 call returning `rc`, within `what`.
  Error failure(int rc, const std::string& what) const;

 private:
  friend class RemoteCommand;
  // Waits (io_timeout at most) until the socket can go on in the direction
  // libssh2 is blocked in (non-blocking use).
  Status wait_socket() const;
  friend class Sftp;
  Connection(Endpoint endpoint, TransportOptions options)
      : endpoint_(std::move(endpoint)), options_(options) {}
  Endpoint endpoint_;
  TransportOptions options_;
  int fd_ = -1;
  void* session_ = nullptr;  // LIBSSH2_SESSION
};

// 'text' quoted for the remote POSIX shell.
std::string shell_quote(const std::string& text);

// The libssh2 version this binary was built with ("1.10.0").
std::string libssh2_version_string();

}  // namespace kdk::targets::ssh
