// The few pieces of S3's XML answers that an upload needs (UploadId, an
// Error's Code and Message), and the CompleteMultipartUpload body. Not a
// general XML parser: it finds an element by name in text it does not trust,
// and answers "absent" for anything it cannot read.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kdk::targets::s3 {

// The text of the first <tag>...</tag> (or empty for <tag/>), with the five
// predefined entities and numeric character references decoded; none when
// the element is absent or not closed.
std::optional<std::string> xml_element_text(std::string_view xml, std::string_view tag);

struct S3ErrorBody {
  std::string code;     // "SignatureDoesNotMatch", "NoSuchBucket", ...
  std::string message;  // the server's sentence
};

// The <Error> document S3 answers with (also inside a 200 answer to
// CompleteMultipartUpload); none when the body holds no <Error>.
std::optional<S3ErrorBody> parse_s3_error(std::string_view body);

// Escapes & < > " ' for element text.
std::string xml_escape(std::string_view text);

}  // namespace kdk::targets::s3
