// Starts the test S3 server on 127.0.0.1 (tests/servers/s3.sh runs it).
// Arguments: PORT DATA_DIR BUCKET ACCESS_KEY SECRET_KEY [TLS_KEY TLS_CERT].
// The key pair is added to s3rver's account beside its built-in
// S3RVER/S3RVER; requests are checked against it (SigV4 included), so a
// wrong secret is refused with SignatureDoesNotMatch.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const [port, directory, bucket, accessKey, secretKey, tlsKey, tlsCert] = process.argv.slice(2);
const S3rver = require('@20minutes/s3rver');
const account = require(path.join(path.dirname(require.resolve('@20minutes/s3rver')), 'models', 'account.js'));
account.DUMMY_ACCOUNT.createKeyPair(accessKey, secretKey);
const server = new S3rver({
  port: Number(port),
  address: '127.0.0.1',
  directory,
  silent: false,
  configureBuckets: [{ name: bucket }],
  ...(tlsKey ? { key: fs.readFileSync(tlsKey), cert: fs.readFileSync(tlsCert) } : {}),
});
server.run().then(
  (addr) => console.log(`s3rver: listening on ${addr.address}:${addr.port}`),
  (err) => {
    console.error(`s3rver: ${err.stack || err}`);
    process.exit(1);
  },
);
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close().then(() => process.exit(0)));
