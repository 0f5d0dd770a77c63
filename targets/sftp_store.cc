#include "targets/sftp_store.h"

#include "util/format.h"
#include "util/log.h"

namespace kdk::targets {

Result<std::unique_ptr<SftpStore>> SftpStore::open(const config::NetworkTarget& target,
                                                   const std::string& crash_dir,
                                                   const ssh::SshStoreSettings& settings) {
  if (target.scheme != "sftp") return Error{"not an SFTP target: " + target.url()};
  auto credentials = ssh::read_credentials(target);
  if (!credentials) return credentials.error();
  return std::unique_ptr<SftpStore>(new SftpStore(target, crash_dir, std::move(*credentials), settings));
}

SftpStore::SftpStore(const config::NetworkTarget& target, std::string crash_dir,
                     ssh::SshCredentials credentials, ssh::SshStoreSettings settings)
    : url_(target.url()),
      dir_(crash_dir.empty() ? ssh::remote_directory(target)
                             : ssh::remote_join(ssh::remote_directory(target), crash_dir)),
      settings_(std::move(settings)),
      connection_(std::move(credentials), settings_.transport) {
  if (!crash_dir.empty()) url_ += "/" + crash_dir;
}

std::string SftpStore::where() const { return url_; }

std::string SftpStore::path_of(const std::string& name) const { return ssh::remote_join(dir_, name); }

Error SftpStore::failed(const Error& e) {
  if (e.errno_value != 0) sftp_.reset();
  return connection_.failed(e);
}

Result<ssh::Sftp*> SftpStore::session() {
  if (!sftp_) {
    dir_ready_ = false;
    auto c = connection_.get();
    if (!c) return failed(c.error());
    auto s = (*c)->sftp();
    if (!s) return failed(s.error());
    sftp_ = std::move(*s);
  }
  if (!dir_ready_) {
    if (Status s = sftp_->make_directories(dir_); !s) return failed(s.error());
    dir_ready_ = true;
  }
  return sftp_.get();
}

Result<StoredObject> SftpStore::store(const std::string& name,
                                      const std::function<Status(ByteWriter&)>& fill) {
  const std::string final_path = path_of(name);
  const std::string temp_path = path_of(ssh::incomplete_name(name));
  StoredObject stored;
  std::optional<Error> fill_error;
  bool started = false;  // the incomplete file may exist
  auto outcome = retry_status(settings_.retry, settings_.env, "sftp " + url_ + "/" + name, [&]() -> Status {
    auto sftp = session();
    if (!sftp) return sftp.error();
    auto created = (*sftp)->create(temp_path);
    if (!created) return failed(created.error());
    started = true;
    std::unique_ptr<ssh::SftpFile> file = std::move(*created);
    // The file goes before its session does.
    auto fail = [&](const Error& e) {
      file.reset();
      return failed(e);
    };
    ssh::DigestWriter out(*file);
    if (Status filled = fill(out); !filled) {
      if (out.refused()) return fail(*out.refused());
      // The producer's own failure: running it again would fail the same way.
      fill_error = filled.error();
      file.reset();
      return Error{filled.error().message};
    }
    if (Status s = file->close(); !s) return fail(s.error());
    file.reset();
    if (Status s = (*sftp)->rename_replacing(temp_path, final_path); !s) return failed(s.error());
    stored = StoredObject{out.bytes(), out.hex_digest()};
    return {};
  });
  if (outcome.last) return stored;
  // Nothing half-written stays behind (best effort, on a live connection or
  // a new one).
  if (!started) {
    // Nothing was created.
  } else if (auto sftp = session()) {
    if (Status s = (*sftp)->remove(temp_path); !s) log::warn("%s", s.error().message.c_str());
  }
  if (fill_error) return *fill_error;
  std::string tries = outcome.attempts > 1 ? format(" (%d attempts)", outcome.attempts) : "";
  return Error{outcome.last.error().message + tries, outcome.last.error().errno_value};
}

Result<StoredObject> SftpStore::put(const std::string& name, std::string_view data) {
  return store(name, [&](ByteWriter& out) { return out.write(data.data(), data.size()); });
}

Result<StoredObject> SftpStore::put_stream(const std::string& name, const StreamProducer& produce) {
  return store(name, produce);
}

Status SftpStore::check() {
  auto sftp = session();
  if (!sftp) return sftp.error();
  const std::string probe = path_of(".kdumpkit-check");
  auto file = (*sftp)->create(probe);
  if (!file) return file.error();
  std::string_view text = "kdumpkit load check\n";
  if (Status s = (*file)->write(text.data(), text.size()); !s) return s;
  if (Status s = (*file)->close(); !s) return s;
  return (*sftp)->remove(probe);
}

}  // namespace kdk::targets
