// Errors as values: every fallible operation returns Result<T>, whose error
// carries the context a user needs (what, where, errno).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace kdk {

struct Error {
  std::string message;  // complete sentence fragment with context: path, offset, value
  int errno_value = 0;  // 0 when the error is not from a system call

  // "open /dev/vdb: No such file or directory"
  static Error from_errno(int err, std::string what);
  // Prefixes context: Error{"bad magic"}.within("superblock of /dev/vdb")
  // gives "superblock of /dev/vdb: bad magic".
  Error within(const std::string& context) const;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace kdk
