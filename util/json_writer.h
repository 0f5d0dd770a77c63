// A small streaming JSON writer for metadata.json: objects, arrays, strings
// (escaped per RFC 8259), integers, booleans. Output is deterministic
// (keys in the order written) and indented for people reading it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kdk {

class JsonWriter {
 public:
  JsonWriter& begin_object(std::string_view key = {});
  JsonWriter& end_object();
  JsonWriter& begin_array(std::string_view key = {});
  JsonWriter& end_array();
  JsonWriter& string(std::string_view key, std::string_view value);
  JsonWriter& number(std::string_view key, int64_t value);
  JsonWriter& unsigned_number(std::string_view key, uint64_t value);
  JsonWriter& real(std::string_view key, double value);
  JsonWriter& boolean(std::string_view key, bool value);
  JsonWriter& null(std::string_view key);
  // Array elements: the same calls with an empty key.

  const std::string& text() const { return out_; }

  static std::string escape(std::string_view s);

 private:
  void prefix(std::string_view key);
  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written yet
};

}  // namespace kdk
