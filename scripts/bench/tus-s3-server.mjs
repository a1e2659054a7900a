// The reference tus 1.0 server on S3 (@tus/server + @tus/s3-store, root devDependencies) on loopback, for the `s3`
// benchmark suite. Usage: node tus-s3-server.mjs ENDPOINT BUCKET → prints "tus serving URL" when ready.
// Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Parts of 8 MiB, as `rufh serve --s3-bucket` by default.

import { S3Store } from '@tus/s3-store'
import { Server } from '@tus/server'

const [endpoint, bucket] = process.argv.slice(2)
if (!endpoint || !bucket) throw new Error('usage: node tus-s3-server.mjs ENDPOINT BUCKET')
const datastore = new S3Store({
  partSize: 8 * 1024 * 1024,
  s3ClientConfig: {
    bucket,
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    // radosgw 16 answers the SDK's default aws-chunked bodies (with checksum trailers) with 411.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  },
})
const server = new Server({ path: '/files', datastore })
const http = server.listen({ host: '127.0.0.1', port: 0 }, () => {
  process.stdout.write(`tus serving http://127.0.0.1:${http.address().port}/files\n`)
})
process.once('SIGTERM', () => {
  http.closeAllConnections()
  http.close(() => process.exit(0))
})
