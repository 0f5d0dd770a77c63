#include "targets/ssh_command_store.h"

#include "util/format.h"
#include "util/log.h"

namespace kdk::targets {

using ssh::shell_quote;

Result<std::unique_ptr<SshCommandStore>> SshCommandStore::open(const config::NetworkTarget& target,
                                                               const std::string& crash_dir,
                                                               const ssh::SshStoreSettings& settings) {
  if (target.scheme != "ssh") return Error{"not an ssh:// target: " + target.url()};
  auto credentials = ssh::read_credentials(target);
  if (!credentials) return credentials.error();
  return std::unique_ptr<SshCommandStore>(
      new SshCommandStore(target, crash_dir, std::move(*credentials), settings));
}

SshCommandStore::SshCommandStore(const config::NetworkTarget& target, std::string crash_dir,
                                 ssh::SshCredentials credentials, ssh::SshStoreSettings settings)
    : url_(target.url()),
      dir_(crash_dir.empty() ? ssh::remote_directory(target)
                             : ssh::remote_join(ssh::remote_directory(target), crash_dir)),
      settings_(std::move(settings)),
      connection_(std::move(credentials), settings_.transport) {
  if (!crash_dir.empty()) url_ += "/" + crash_dir;
}

std::string SshCommandStore::where() const { return url_; }

std::string SshCommandStore::path_of(const std::string& name) const { return ssh::remote_join(dir_, name); }

Result<ssh::Connection*> SshCommandStore::connection() {
  auto c = connection_.get();
  if (!c) {
    dir_ready_ = false;
    return connection_.failed(c.error());
  }
  if (!dir_ready_) {
    if (Status s = (*c)->run("umask 0077 && mkdir -p -- " + shell_quote(dir_)); !s)
      return connection_.failed(s.error());
    dir_ready_ = true;
  }
  return *c;
}

Result<StoredObject> SshCommandStore::store(const std::string& name,
                                            const std::function<Status(ByteWriter&)>& fill) {
  const std::string temp_path = path_of(ssh::incomplete_name(name));
  const std::string final_path = path_of(name);
  StoredObject stored;
  std::optional<Error> fill_error;
  bool started = false;  // the incomplete file may exist
  auto outcome = retry_status(settings_.retry, settings_.env, "ssh " + url_ + "/" + name, [&]() -> Status {
    auto c = connection();
    if (!c) {
      dir_ready_ = false;
      return c.error();
    }
    auto command = (*c)->exec("umask 0077 && cat > " + shell_quote(temp_path));
    if (!command) return connection_.failed(command.error());
    started = true;
    std::unique_ptr<ssh::RemoteCommand> cat = std::move(*command);
    // The channel goes before its connection does.
    auto fail = [&](const Error& e) {
      cat.reset();
      if (e.errno_value != 0) dir_ready_ = false;
      return connection_.failed(e);
    };
    ssh::DigestWriter out(*cat);
    if (Status filled = fill(out); !filled) {
      if (out.refused()) return fail(*out.refused());
      fill_error = filled.error();
      cat.reset();
      return Error{filled.error().message};
    }
    if (Status s = cat->finish(); !s) return fail(s.error());
    cat.reset();
    if (Status s = (*c)->run("mv -f -- " + shell_quote(temp_path) + " " + shell_quote(final_path)); !s)
      return fail(s.error());
    stored = StoredObject{out.bytes(), out.hex_digest()};
    return {};
  });
  if (outcome.last) return stored;
  if (!started) {
    // Nothing was created.
  } else if (auto c = connection()) {
    if (Status s = (*c)->run("rm -f -- " + shell_quote(temp_path)); !s)
      log::warn("%s", s.error().message.c_str());
  }
  if (fill_error) return *fill_error;
  std::string tries = outcome.attempts > 1 ? format(" (%d attempts)", outcome.attempts) : "";
  return Error{outcome.last.error().message + tries, outcome.last.error().errno_value};
}

Result<StoredObject> SshCommandStore::put(const std::string& name, std::string_view data) {
  return store(name, [&](ByteWriter& out) { return out.write(data.data(), data.size()); });
}

Result<StoredObject> SshCommandStore::put_stream(const std::string& name, const StreamProducer& produce) {
  return store(name, produce);
}

Status SshCommandStore::check() {
  auto c = connection();
  if (!c) return c.error();
  const std::string probe = path_of(".kdumpkit-check");
  if (Status s = (*c)->run("umask 0077 && cat > " + shell_quote(probe), "kdumpkit load check\n"); !s)
    return s;
  return (*c)->run("rm -f -- " + shell_quote(probe));
}

}  // namespace kdk::targets
