#!/usr/bin/env python3
"""Writes the seed corpus for fuzz_s3_answers into DIR/fuzz_s3_answers/:
S3's answers to the requests the S3 target makes (as AWS documents them)
and credentials files, so the fuzzer starts from inputs that reach the
element and entity readers."""
import os
import sys

SEEDS = {
    "initiate.xml": b'<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult '
                    b'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>dumps</Bucket>'
                    b'<Key>crash/vmcore.flat</Key><UploadId>VXBsb2FkIElE&amp;x&#41;</UploadId>'
                    b'</InitiateMultipartUploadResult>',
    "error.xml": b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>'
                 b'<Message>The request signature we calculated does not match &lt;sig&gt;</Message>'
                 b'<RequestId>4442587FB7D0A2F9</RequestId></Error>',
    "complete.xml": b'<CompleteMultipartUploadResult><Location>http://x/dumps/k</Location>'
                    b'<ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag></CompleteMultipartUploadResult>',
    "empty-elements.xml": b"<UploadId/><Error><Code/><Message></Message></Error>",
    "credentials": b"# kdumpkit\naccess_key_id = AKIAIOSFODNN7EXAMPLE\nsecret_access_key = wJalr/K7MDENG\n",
    "aws-credentials": b"[default]\r\naws_access_key_id=AK\r\naws_secret_access_key='SK'\r\naws_session_token=T\r\n",
}


def main():
    out = os.path.join(sys.argv[1], "fuzz_s3_answers")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
