// A crash directory in an S3 bucket (s3://bucket/prefix), path-style
// (endpoint/bucket/key) so that any S3-compatible store works without
// wildcard DNS. Small files are one PutObject; the dump stream is a
// multipart upload holding one part in memory at a time, each part retried
// on its own, aborted on final failure so that neither an object nor an open
// upload is left behind.
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <string>

#include "config/target_url.h"
#include "targets/crash_store.h"
#include "targets/http/http_transport.h"
#include "targets/retry.h"
#include "targets/s3/part_schedule.h"
#include "targets/s3/sigv4.h"

namespace kdk::targets::s3 {

struct S3Options {
  std::string endpoint;  // http[s]://host[:port], no path
  std::string region = "us-east-1";
  std::string bucket;
  std::string
      prefix;  // key prefix of the crash directory, no leading or trailing '/' ("" for the bucket root)
  Credentials credentials;
  uint64_t first_part_size = 16 * kMiB;
  RetryPolicy retry;  // per request; retry.attempts is config `retries`
};

// The options of an s3:// target (endpoint, region, part_size, and the
// credentials read from credentials_file, which must be root-only), with
// `subdir` (the crash directory name, may be empty) appended to its prefix.
Result<S3Options> s3_options(const config::NetworkTarget& target, int attempts, const std::string& subdir);

// The transport options (CA, proxy) of an s3:// target.
http::TransportOptions s3_transport_options(const config::NetworkTarget& target);

class S3Store : public CrashStore {
 public:
  // `wall_time` gives the UTC time requests are signed with (S3 refuses a
  // signature more than 15 minutes off); `env` sleeps between retries.
  S3Store(
      S3Options options, http::Transport& transport, RetryEnv env = RetryEnv::system(),
      std::function<std::time_t()> wall_time = [] { return std::time(nullptr); });

  std::string where() const override;  // "s3://bucket/prefix at https://endpoint"
  Result<StoredObject> put(const std::string& name, std::string_view data) override;
  Result<StoredObject> put_stream(const std::string& name, const StreamProducer& produce) override;

  // Deletes an object (absent is fine).
  Status remove(const std::string& name);

  // For `load`: writes and deletes a small test object under the prefix.
  // The error says what failed: the endpoint (connection, TLS: the
  // transport's message) or the S3 error code (InvalidAccessKeyId,
  // SignatureDoesNotMatch, NoSuchBucket, AccessDenied...).
  Status check();

  // The object key of `name` and its URL (for tests and messages).
  std::string key_of(const std::string& name) const;
  std::string url_of(const std::string& name) const;

 private:
  struct Call;
  Result<http::Response> perform(const Call& call);
  Result<http::Response> perform_with_retries(const Call& call);
  Result<std::string> create_upload(const std::string& key);
  Result<std::string> upload_part(const std::string& key, const std::string& upload_id, uint32_t number,
                                  std::string_view data);
  Status complete_upload(const std::string& key, const std::string& upload_id, const std::string& parts_xml);
  Status abort_upload(const std::string& key, const std::string& upload_id);
  Result<StoredObject> put_object(const std::string& key, std::string_view data, const std::string& sha256);

  S3Options options_;
  http::Transport& transport_;
  RetryEnv env_;
  std::function<std::time_t()> wall_time_;
  std::string host_;  // the Host header: the endpoint's authority
};

}  // namespace kdk::targets::s3
