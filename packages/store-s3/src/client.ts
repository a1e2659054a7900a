/**
 * The S3 client as the store needs it: AWS SDK v3 with the standard credential chain (`AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, profiles, instance roles, ...), and checksums only where the API requires them.
 * Without that, SDK releases since 2025 send `aws-chunked` bodies with CRC trailers, which radosgw 16 and several
 * other S3 implementations answer with 411.
 *
 * Bodies are sent with `UNSIGNED-PAYLOAD` (SigV4 still signs the request line and headers): otherwise the SDK hashes
 * every part with SHA-256 before sending it and the S3 service hashes it again to check, about 2.5 s of the server's
 * CPU per GiB on one core, and as much again in radosgw when both share a machine (docs/benchmarks.md `s3`). The
 * transport (TCP, TLS on AWS) protects the bytes in transit, as it does for the SDK's own streaming uploads.
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'

export interface S3ClientOptions {
  /** An S3-compatible endpoint (radosgw, MinIO, R2, ...); default: AWS for the region. */
  endpoint?: string | undefined
  /** Default: `AWS_REGION`, then `AWS_DEFAULT_REGION`, then `us-east-1`. */
  region?: string | undefined
  /** Bucket in the path (`https://host/bucket/key`) instead of the host name; most non-AWS endpoints want this. */
  forcePathStyle?: boolean | undefined
  /** Default: the SDK's standard chain. */
  credentials?: S3ClientConfig['credentials']
}

/**
 * The SDK's own logger (none by default) gets nothing from this store's client either, except that the SDK writes
 * "An error was encountered in a non-retryable streaming request." to the console whenever a request with a stream
 * body fails and no logger is set: with parts streamed as they arrive (part-stream.ts), that is every client that
 * goes away inside a part. The store handles those failures itself (a cut part's bytes become the tail; other
 * failures are resent or reported), so the line says nothing to the operator.
 */
const QUIET: NonNullable<S3ClientConfig['logger']> = { debug() {}, info() {}, warn() {}, error() {} }

/** Commands whose bodies are data: sent unsigned (see above). */
const DATA_COMMANDS = new Set(['UploadPartCommand', 'PutObjectCommand'])

export function createS3Client(o: S3ClientOptions = {}): S3Client {
  const client = new S3Client({
    region: o.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    forcePathStyle: o.forcePathStyle ?? false,
    ...(o.credentials ? { credentials: o.credentials } : {}),
    logger: QUIET,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { headers?: Record<string, string> }
      // The signer uses this header's value as the payload hash when it is present, instead of hashing the body.
      if (DATA_COMMANDS.has(context.commandName ?? '') && request.headers)
        request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD'
      return next(args)
    },
    { step: 'build', name: 'rufhUnsignedPayload' },
  )
  return client
}
