// Fuzz target: what an S3 endpoint (or anything pretending to be one) sends
// back, read by the S3 target (UploadId, Error Code/Message), and the
// credentials file grammar. Neither may crash the capture.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "targets/s3/credentials.h"
#include "targets/s3/s3_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)kdk::targets::s3::xml_element_text(text, "UploadId");
  (void)kdk::targets::s3::parse_s3_error(text);
  (void)kdk::targets::s3::xml_escape(text);
  (void)kdk::targets::s3::parse_credentials(text, "fuzz");
  return 0;
}
