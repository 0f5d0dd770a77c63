#include "targets/http/byte_channel.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kdk::targets::http {

ByteChannel::ByteChannel(size_t capacity) : ring_(std::max<size_t>(capacity, 1)) {}

Status ByteChannel::write(const void* data, size_t size) {
  const char* in = static_cast<const char*>(data);
  std::unique_lock lock(mutex_);
  while (size > 0) {
    writable_.wait(lock, [&] { return abandoned_ || size_ < ring_.size(); });
    if (abandoned_) return Error{"upload stopped: " + *abandoned_, EPIPE};
    size_t tail = (head_ + size_) % ring_.size();
    size_t n = std::min({size, ring_.size() - size_, ring_.size() - tail});
    std::memcpy(ring_.data() + tail, in, n);
    size_ += n;
    in += n;
    size -= n;
    readable_.notify_one();
  }
  return {};
}

void ByteChannel::finish() {
  std::lock_guard lock(mutex_);
  finished_ = true;
  readable_.notify_all();
}

void ByteChannel::fail(Error error) {
  std::lock_guard lock(mutex_);
  producer_error_ = std::move(error);
  finished_ = true;
  readable_.notify_all();
}

Result<size_t> ByteChannel::read(char* buffer, size_t max) {
  std::unique_lock lock(mutex_);
  readable_.wait(lock, [&] { return size_ > 0 || finished_; });
  if (producer_error_) return *producer_error_;
  if (size_ == 0) return size_t{0};
  size_t n = std::min({max, size_, ring_.size() - head_});
  std::memcpy(buffer, ring_.data() + head_, n);
  head_ = (head_ + n) % ring_.size();
  size_ -= n;
  writable_.notify_one();
  return n;
}

void ByteChannel::abandon(const std::string& why) {
  std::lock_guard lock(mutex_);
  if (!abandoned_) abandoned_ = why;
  writable_.notify_all();
}

}  // namespace kdk::targets::http
