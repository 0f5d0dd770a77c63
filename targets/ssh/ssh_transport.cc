#include "targets/ssh/ssh_transport.h"

#include <fcntl.h>
#include <libssh2.h>
#include <libssh2_sftp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "targets/ssh/ssh_wire.h"
#include "util/format.h"
#include "util/log.h"
#include "util/text.h"

namespace kdk::targets::ssh {
namespace {

constexpr size_t kOutputKept = 4096;

LIBSSH2_SESSION* S(void* p) { return static_cast<LIBSSH2_SESSION*>(p); }
LIBSSH2_CHANNEL* C(void* p) { return static_cast<LIBSSH2_CHANNEL*>(p); }
LIBSSH2_SFTP* F(void* p) { return static_cast<LIBSSH2_SFTP*>(p); }
LIBSSH2_SFTP_HANDLE* H(void* p) { return static_cast<LIBSSH2_SFTP_HANDLE*>(p); }

void init_libssh2() {
  static std::once_flag once;
  std::call_once(once, [] { libssh2_init(0); });
}

// The errno a libssh2 failure stands for: non-zero when the network failed
// (another attempt may succeed), 0 otherwise.
int transient_errno(int rc) {
  switch (rc) {
    case LIBSSH2_ERROR_SOCKET_NONE:
    case LIBSSH2_ERROR_BANNER_RECV:
    case LIBSSH2_ERROR_BANNER_SEND:
    case LIBSSH2_ERROR_SOCKET_SEND:
    case LIBSSH2_ERROR_SOCKET_RECV:
    case LIBSSH2_ERROR_SOCKET_DISCONNECT:
    case LIBSSH2_ERROR_BAD_SOCKET:
      return ECONNRESET;
    case LIBSSH2_ERROR_TIMEOUT:
    case LIBSSH2_ERROR_SOCKET_TIMEOUT:
      return ETIMEDOUT;
    default:
      return 0;
  }
}

const char* sftp_status_text(unsigned long code) {
  switch (code) {
    case LIBSSH2_FX_EOF:
      return "end of file";
    case LIBSSH2_FX_NO_SUCH_FILE:
      return "no such file or directory";
    case LIBSSH2_FX_PERMISSION_DENIED:
      return "permission denied";
    case LIBSSH2_FX_FAILURE:
      return "failure (OpenSSH's sftp-server says so for most errors of the file system, a full disk among "
             "them)";
    case LIBSSH2_FX_BAD_MESSAGE:
      return "bad message";
    case LIBSSH2_FX_NO_CONNECTION:
      return "no connection";
    case LIBSSH2_FX_CONNECTION_LOST:
      return "connection lost";
    case LIBSSH2_FX_OP_UNSUPPORTED:
      return "operation not supported by the server";
    case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM:
      return "no space left on the server's file system";
    case LIBSSH2_FX_QUOTA_EXCEEDED:
      return "quota exceeded";
    case LIBSSH2_FX_FILE_ALREADY_EXISTS:
      return "file already exists";
    case LIBSSH2_FX_WRITE_PROTECT:
      return "write protected";
    default:
      return "SFTP error";
  }
}

// A TCP connection to host:port within `timeout`, trying each address.
Result<int> connect_tcp(const std::string& host, int port, std::chrono::seconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) {
    // The resolver may not be ready yet in a capture kernel: worth another try.
    return Error{format("resolve %s: %s", host.c_str(), gai_strerror(rc)), rc == EAI_SYSTEM ? errno : EAGAIN};
  }
  Error last{format("connect to %s port %d: no address", host.c_str(), port), EHOSTUNREACH};
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      last = Error::from_errno(errno, "socket");
      continue;
    }
    int err = 0;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        int n = ::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(timeout).count()));
        if (n == 0) {
          err = ETIMEDOUT;
        } else if (n < 0) {
          err = errno;
        } else {
          socklen_t len = sizeof err;
          if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        }
      }
    }
    if (err == 0) {
      int flags = ::fcntl(fd, F_GETFL);
      ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::freeaddrinfo(res);
      return fd;
    }
    ::close(fd);
    last = Error::from_errno(err, format("connect to %s port %d", host.c_str(), port));
  }
  ::freeaddrinfo(res);
  return last;
}

// libssh2 takes the signature algorithm of a public key authentication from
// the first string of the key blob it is given (up to 1.11, with a callback
// signer): an RSA key's blob says "rsa-sha2-256" there so that the request
// names the SHA-2 algorithm (RFC 8332) OpenSSH 8.8 and later require.
// OpenSSH reads the key from such a blob as an RSA key.
std::string blob_for_auth(const SshKey& key) {
  if (key.type() != "ssh-rsa") return key.public_blob();
  WireReader r(key.public_blob());
  std::string_view type;
  r.get_string(type);
  std::string rest = key.public_blob().substr(key.public_blob().size() - r.remaining());
  std::string out;
  put_string(out, key.algorithm());
  return out + rest;
}

int sign_callback(LIBSSH2_SESSION*, unsigned char** sig, size_t* sig_len, const unsigned char* data,
                  size_t data_len, void** abstract) {
  const auto* key = static_cast<const SshKey*>(*abstract);
  auto signature = key->sign(std::string_view(reinterpret_cast<const char*>(data), data_len));
  if (!signature) {
    log::error("%s", signature.error().message.c_str());
    return -1;
  }
  // libssh2 frees it with its allocator (the default: free()).
  *sig = static_cast<unsigned char*>(std::malloc(signature->size()));
  if (!*sig) return -1;
  std::memcpy(*sig, signature->data(), signature->size());
  *sig_len = signature->size();
  return 0;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

std::string Endpoint::describe() const {
  return (user.empty() ? "" : user + "@") + host + format(":%d", port);
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string libssh2_version_string() { return libssh2_version(0) ? libssh2_version(0) : LIBSSH2_VERSION; }

Error Connection::failure(int rc, const std::string& what) const {
  char* msg = nullptr;
  int len = 0;
  if (session_) libssh2_session_last_error(S(session_), &msg, &len, 0);
  std::string text =
      msg && len > 0 ? std::string(msg, static_cast<size_t>(len)) : format("libssh2 error %d", rc);
  int e = transient_errno(rc);
  if (e != 0)
    text += format(" (%s)", e == ETIMEDOUT ? "no progress within the I/O timeout" : "the connection failed");
  return Error{what + ": " + text, e};
}

Result<std::unique_ptr<Connection>> Connection::open(const Endpoint& endpoint, const SshKey& key,
                                                     const KnownHosts& known,
                                                     const TransportOptions& options) {
  init_libssh2();
  std::unique_ptr<Connection> c(new Connection(endpoint, options));
  const std::string where = endpoint.describe();
  auto fd = connect_tcp(endpoint.host, endpoint.port, options.connect_timeout);
  if (!fd) return fd.error();
  c->fd_ = *fd;
  c->session_ = libssh2_session_init();
  if (!c->session_) return Error{"libssh2_session_init failed"};
  libssh2_session_set_blocking(S(c->session_), 1);
  libssh2_session_set_timeout(S(c->session_),
                              static_cast<long>(std::chrono::milliseconds(options.io_timeout).count()));

  // Offer only the host key types known_hosts has for this host, so the
  // server presents one that can be checked.
  const std::string name = KnownHosts::lookup_name(endpoint.host, endpoint.port);
  std::vector<KnownKey> keys = known.keys_for(name);
  std::vector<std::string> algorithms = host_key_algorithms(keys);
  if (!algorithms.empty()) {
    int rc = libssh2_session_method_pref(S(c->session_), LIBSSH2_METHOD_HOSTKEY, join(algorithms).c_str());
    if (rc != 0) return c->failure(rc, "host key algorithms " + join(algorithms));
  }
  if (int rc = libssh2_session_handshake(S(c->session_), c->fd_); rc != 0) {
    Error e = c->failure(rc, "SSH handshake with " + where);
    if (rc == LIBSSH2_ERROR_KEX_FAILURE && !algorithms.empty()) {
      e.message += " (the server offers none of the host key types " + known.source() + " lists for " + name +
                   ": " + join(algorithms) + ")";
    }
    return e;
  }
  size_t key_len = 0;
  int key_type = 0;
  const char* host_key = libssh2_session_hostkey(S(c->session_), &key_len, &key_type);
  if (!host_key) return Error{"SSH handshake with " + where + ": no host key"};
  if (Status s = verify_host_key(keys, name, known.source(), std::string_view(host_key, key_len)); !s) {
    return s.error();
  }

  const std::string blob = blob_for_auth(key);
  void* abstract = const_cast<SshKey*>(&key);
  int rc = libssh2_userauth_publickey(S(c->session_), endpoint.user.c_str(),
                                      reinterpret_cast<const unsigned char*>(blob.data()), blob.size(),
                                      sign_callback, &abstract);
  if (rc != 0) {
    Error e = c->failure(rc, "authentication as " + endpoint.user + " on " + where);
    if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED || rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED) {
      e =
          Error{format("%s does not accept the key %s %s for %s: add its line to that user's authorized_keys "
                       "(kdumpkit's README: \"Setting up the key\")",
                       where.c_str(), key.type().c_str(), key.fingerprint().c_str(), endpoint.user.c_str())};
    }
    return e;
  }
  return c;
}

Status Connection::wait_socket() const {
  int directions = libssh2_session_block_directions(S(session_));
  short events = 0;
  if (directions & LIBSSH2_SESSION_BLOCK_INBOUND) events |= POLLIN;
  if (directions & LIBSSH2_SESSION_BLOCK_OUTBOUND) events |= POLLOUT;
  if (events == 0) events = POLLIN;
  pollfd p{fd_, events, 0};
  int n = ::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(options_.io_timeout).count()));
  if (n < 0 && errno != EINTR) return Error::from_errno(errno, "poll");
  if (n == 0) return Error{"no progress within the I/O timeout", ETIMEDOUT};
  return {};
}

Connection::~Connection() {
  if (session_) {
    libssh2_session_disconnect(S(session_), "kdumpkit done");
    libssh2_session_free(S(session_));
  }
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<RemoteCommand>> Connection::exec(const std::string& command) {
  LIBSSH2_CHANNEL* channel = libssh2_channel_open_session(S(session_));
  if (!channel)
    return failure(libssh2_session_last_errno(S(session_)), "open a channel on " + endpoint_.describe());
  libssh2_channel_handle_extended_data2(channel, LIBSSH2_CHANNEL_EXTENDED_DATA_MERGE);
  if (int rc = libssh2_channel_exec(channel, command.c_str()); rc != 0) {
    Error e = failure(rc, "run \"" + command + "\" on " + endpoint_.describe());
    libssh2_channel_free(channel);
    return e;
  }
  return std::unique_ptr<RemoteCommand>(new RemoteCommand(*this, channel, command));
}

Status Connection::run(const std::string& command, std::string_view input) {
  auto cmd = exec(command);
  if (!cmd) return cmd.error();
  if (!input.empty()) {
    if (Status s = (*cmd)->write(input.data(), input.size()); !s) return s;
  }
  return (*cmd)->finish();
}

Result<std::unique_ptr<Sftp>> Connection::sftp() {
  LIBSSH2_SFTP* sftp = libssh2_sftp_init(S(session_));
  if (!sftp) {
    return failure(libssh2_session_last_errno(S(session_)),
                   "start SFTP on " + endpoint_.describe() + " (does the server have the sftp subsystem?)");
  }
  return std::unique_ptr<Sftp>(new Sftp(*this, sftp));
}

// --- remote commands -------------------------------------------------------

RemoteCommand::RemoteCommand(Connection& connection, void* channel, std::string command)
    : connection_(connection), channel_(channel), command_(std::move(command)) {
  buffer_.resize(connection.options().write_buffer);
}

RemoteCommand::~RemoteCommand() {
  if (channel_) libssh2_channel_free(C(channel_));
}

Status RemoteCommand::channel_failure(int rc, const std::string& what) {
  Error e = connection_.failure(rc, what);
  if (e.errno_value != 0) return e;
  // The command ended early (a full disk, a missing directory): its exit
  // status and output say why.
  Status ended = finish();
  return ended ? Status(e) : ended;
}

Status RemoteCommand::flush() {
  // Non-blocking, with our own wait: libssh2 1.10's blocking channel write
  // waits for window space even after the command has exited (cat on a
  // full disk), until the timeout, since sshd stops taking input then.
  LIBSSH2_SESSION* session = S(connection_.session_);
  LIBSSH2_CHANNEL* ch = C(channel_);
  const std::string what = "send to \"" + command_ + "\" on " + connection_.endpoint().describe();
  libssh2_session_set_blocking(session, 0);
  struct Blocking {
    LIBSSH2_SESSION* s;
    ~Blocking() { libssh2_session_set_blocking(s, 1); }
  } restore{session};
  size_t done = 0;
  while (done < buffered_) {
    ssize_t n = libssh2_channel_write(ch, buffer_.data() + done, buffered_ - done);
    if (n == LIBSSH2_ERROR_EAGAIN) {
      // sshd reports the exit of a command that ended before its input did
      // (exit-status) but keeps the channel open until our EOF.
      if (libssh2_channel_eof(ch) || libssh2_channel_get_exit_status(ch) != 0) {
        buffered_ = 0;
        libssh2_session_set_blocking(session, 1);
        return channel_failure(LIBSSH2_ERROR_CHANNEL_CLOSED, what);
      }
      if (Status s = connection_.wait_socket(); !s) {
        buffered_ = 0;
        return s.error().within(what);
      }
      continue;
    }
    if (n < 0) {
      buffered_ = 0;
      libssh2_session_set_blocking(session, 1);
      return channel_failure(static_cast<int>(n), what);
    }
    done += static_cast<size_t>(n);
  }
  buffered_ = 0;
  return {};
}

Status RemoteCommand::write(const void* data, size_t size) {
  if (finished_) return Error{"\"" + command_ + "\" has ended"};
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    size_t n = std::min(size, buffer_.size() - buffered_);
    std::memcpy(buffer_.data() + buffered_, p, n);
    buffered_ += n;
    p += n;
    size -= n;
    if (buffered_ == buffer_.size()) {
      if (Status s = flush(); !s) return s;
    }
  }
  return {};
}

Status RemoteCommand::finish() {
  if (finished_) return Error{"\"" + command_ + "\" has ended"};
  const std::string where = "\"" + command_ + "\" on " + connection_.endpoint().describe();
  if (buffered_ > 0) {
    if (Status s = flush(); !s) return s;
  }
  finished_ = true;
  LIBSSH2_CHANNEL* ch = C(channel_);
  int rc = libssh2_channel_send_eof(ch);
  std::string output;
  char buf[4096];
  for (;;) {
    ssize_t n = libssh2_channel_read(ch, buf, sizeof buf);
    if (n < 0) {
      rc = static_cast<int>(n);
      break;
    }
    if (n == 0) break;
    if (output.size() < kOutputKept)
      output.append(buf, std::min(static_cast<size_t>(n), kOutputKept - output.size()));
  }
  if (rc == 0 || rc == LIBSSH2_ERROR_CHANNEL_EOF_SENT || rc == LIBSSH2_ERROR_CHANNEL_CLOSED) {
    rc = libssh2_channel_close(ch);
    if (rc == 0) rc = libssh2_channel_wait_closed(ch);
  }
  if (rc != 0 && rc != LIBSSH2_ERROR_CHANNEL_CLOSED) {
    Error e = connection_.failure(rc, where);
    if (e.errno_value != 0) return e;
  }
  int status = libssh2_channel_get_exit_status(ch);
  char* signal = nullptr;
  libssh2_channel_get_exit_signal(ch, &signal, nullptr, nullptr, nullptr, nullptr, nullptr);
  std::string said = std::string(trim(output));
  for (char& c : said)
    if (c == '\n' || c == '\r') c = ' ';
  if (signal) {
    std::string sig = signal;
    libssh2_free(S(connection_.session_), signal);
    return Error{format("%s was killed by SIG%s%s%s", where.c_str(), sig.c_str(), said.empty() ? "" : ": ",
                        said.c_str())};
  }
  if (status != 0) {
    return Error{format("%s failed (exit status %d)%s%s", where.c_str(), status, said.empty() ? "" : ": ",
                        said.c_str())};
  }
  return {};
}

// --- SFTP --------------------------------------------------------------------

Sftp::~Sftp() {
  if (sftp_) libssh2_sftp_shutdown(F(sftp_));
}

Error Sftp::failure(int rc, const std::string& what) const {
  if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL) {
    unsigned long code = libssh2_sftp_last_error(F(sftp_));
    return Error{format("%s: %s (SFTP status %lu)", what.c_str(), sftp_status_text(code), code),
                 code == LIBSSH2_FX_CONNECTION_LOST || code == LIBSSH2_FX_NO_CONNECTION ? ECONNRESET : 0};
  }
  return connection_.failure(rc, what);
}

Status Sftp::make_directories(const std::string& path) {
  std::string at = path.empty() || path[0] != '/' ? "" : "/";
  size_t pos = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    std::string part = path.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    pos = next == std::string::npos ? path.size() : next + 1;
    if (part.empty() || part == ".") continue;
    at += (at.empty() || at.back() == '/' ? "" : "/") + part;
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    if (libssh2_sftp_stat(F(sftp_), at.c_str(), &attrs) == 0) {
      if ((attrs.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) && !LIBSSH2_SFTP_S_ISDIR(attrs.permissions))
        return Error{"sftp: " + at + " exists and is not a directory"};
      continue;
    }
    int rc = libssh2_sftp_mkdir(F(sftp_), at.c_str(), 0700);
    if (rc != 0 && libssh2_sftp_stat(F(sftp_), at.c_str(), &attrs) != 0)
      return failure(rc, "sftp: mkdir " + at);
  }
  return {};
}

Result<std::unique_ptr<SftpFile>> Sftp::create(const std::string& path) {
  LIBSSH2_SFTP_HANDLE* h = libssh2_sftp_open(F(sftp_), path.c_str(),
                                             LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, 0600);
  if (!h) return failure(libssh2_session_last_errno(S(connection_.session_)), "sftp: create " + path);
  return std::unique_ptr<SftpFile>(new SftpFile(*this, h, path, connection_.options().write_buffer));
}

Status Sftp::remove(const std::string& path) {
  int rc = libssh2_sftp_unlink(F(sftp_), path.c_str());
  if (rc == 0) return {};
  if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL && libssh2_sftp_last_error(F(sftp_)) == LIBSSH2_FX_NO_SUCH_FILE)
    return {};
  return failure(rc, "sftp: remove " + path);
}

Status Sftp::rename_replacing(const std::string& from, const std::string& to) {
  if (Status s = remove(to); !s) return s;
  int rc = libssh2_sftp_rename(F(sftp_), from.c_str(), to.c_str());
  if (rc != 0) return failure(rc, "sftp: rename " + from + " to " + to);
  return {};
}

SftpFile::SftpFile(Sftp& sftp, void* handle, std::string path, size_t buffer)
    : sftp_(sftp), handle_(handle), path_(std::move(path)) {
  buffer_.resize(buffer);
}

SftpFile::~SftpFile() {
  if (handle_) libssh2_sftp_close(H(handle_));
}

Status SftpFile::flush() {
  size_t done = 0;
  while (done < buffered_) {
    // Pipelined: libssh2 sends the whole rest as packets and returns what
    // the server has acknowledged so far.
    ssize_t n = libssh2_sftp_write(H(handle_), buffer_.data() + done, buffered_ - done);
    if (n < 0) {
      buffered_ = 0;
      return sftp_.failure(static_cast<int>(n), "sftp: write " + path_);
    }
    done += static_cast<size_t>(n);
  }
  buffered_ = 0;
  return {};
}

Status SftpFile::write(const void* data, size_t size) {
  if (!handle_) return Error{"sftp: " + path_ + " is closed"};
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    size_t n = std::min(size, buffer_.size() - buffered_);
    std::memcpy(buffer_.data() + buffered_, p, n);
    buffered_ += n;
    p += n;
    size -= n;
    if (buffered_ == buffer_.size()) {
      if (Status s = flush(); !s) return s;
    }
  }
  return {};
}

Status SftpFile::close() {
  if (!handle_) return Error{"sftp: " + path_ + " is closed"};
  if (Status s = flush(); !s) return s;
  int rc = libssh2_sftp_fsync(H(handle_));
  if (rc != 0) {
    Error e = sftp_.failure(rc, "sftp: fsync " + path_);
    if (e.errno_value != 0) return e;
    // A server without fsync@openssh.com: its close is what there is.
    if (rc != LIBSSH2_ERROR_SFTP_PROTOCOL ||
        libssh2_sftp_last_error(F(sftp_.sftp_)) != LIBSSH2_FX_OP_UNSUPPORTED)
      return e;
  }
  rc = libssh2_sftp_close(H(handle_));
  handle_ = nullptr;
  if (rc != 0) return sftp_.failure(rc, "sftp: close " + path_);
  return {};
}

}  // namespace kdk::targets::ssh
