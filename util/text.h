// Small string helpers shared by the parsers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kdk {

std::string_view trim(std::string_view s);
// Splits on runs of spaces and tabs; no empty fields.
std::vector<std::string> split_words(std::string_view s);
// Splits on every `sep`; keeps empty fields.
std::vector<std::string> split(std::string_view s, char sep);
// Lines without their '\n'; a final line without '\n' is kept.
std::vector<std::string_view> lines(std::string_view s);
// Parses an unsigned decimal (or 0x-prefixed hex when base is 0) number, all of `s`.
bool parse_u64(std::string_view s, unsigned long long& out, int base = 10);

// RFC 3986 percent-encoding: A-Z a-z 0-9 - . _ ~ and the characters of
// `also_keep` stay as they are, every other byte becomes %XX (upper case).
std::string percent_encode(std::string_view text, std::string_view also_keep = "");

// RFC 4648 base64 with '=' padding (`pad` false: without, as OpenSSH prints
// SHA256 fingerprints).
std::string base64_encode(std::string_view bytes, bool pad = true);
// Decodes base64 with or without padding; false on any other character or a
// truncated group.
bool base64_decode(std::string_view text, std::string& out);

}  // namespace kdk
