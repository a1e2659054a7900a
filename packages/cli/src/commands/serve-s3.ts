/**
 * `rufh serve --s3-bucket B ...`: uploads in an S3 bucket instead of a folder. Credentials come from the AWS SDK's
 * standard chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `AWS_PROFILE`, instance roles). The bucket is checked
 * before the server listens, so a missing bucket or refused credentials stop it at start with a clear message.
 * Self-contained (options, usage, store) so that `serve.ts` only spreads it in.
 */
import type { Store } from '@rufh/server'
import { parseSize, parseUrl, UsageError } from '../args.js'

export const S3_OPTIONS = {
  's3-bucket': { type: 'string' },
  's3-endpoint': { type: 'string' },
  's3-region': { type: 'string' },
  's3-prefix': { type: 'string' },
  's3-part-size': { type: 'string' },
  's3-part-memory': { type: 'string' },
  's3-path-style': { type: 'boolean', default: false },
  's3-spool-streamed-parts': { type: 'boolean', default: false },
} as const

export const S3_USAGE = `  --s3-bucket BUCKET        store uploads in this S3 bucket instead of --dir (credentials: AWS_ACCESS_KEY_ID /
                            AWS_SECRET_ACCESS_KEY, AWS_PROFILE or an instance role; see docs/storage.md)
  --s3-endpoint URL         an S3-compatible endpoint (Ceph radosgw, MinIO, R2, ...); default AWS
  --s3-region REGION        default AWS_REGION, else us-east-1
  --s3-prefix PREFIX        put every key under PREFIX (e.g. uploads/)
  --s3-part-size SIZE       part size (default 8MiB; temporary disk per running append: at most 5 parts)
  --s3-part-memory SIZE     memory for parts waiting to be sent, shared by all uploads; the rest wait on disk
                            (default 5 parts; 0: all on disk)
  --s3-spool-streamed-parts keep a disk copy of a part streamed while it arrives when part memory is full, so that
                            a cut body keeps its bytes and S3 failures are retried (default: no copy; see
                            docs/storage.md)
  --s3-path-style           bucket in the URL path, not the host name (most non-AWS endpoints)`

type Values = Record<string, string | boolean | string[] | undefined>

export interface S3Setup {
  store: Store
  describe: string
  check(): Promise<void>
  close(): void
}

/** Validates the S3 options (UsageError); undefined without `--s3-bucket`. */
export async function s3StoreOf(values: Values): Promise<S3Setup | undefined> {
  const str = (k: string) => values[k] as string | undefined
  const bucket = str('s3-bucket')
  if (bucket === undefined) {
    // A flag's default (false) is not a choice the user made; the flag given (true) is.
    for (const k of Object.keys(S3_OPTIONS))
      if (values[k] !== undefined && values[k] !== false) throw new UsageError(`--${k} needs --s3-bucket`)
    return undefined
  }
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new UsageError(`--s3-bucket: '${bucket}' is not a bucket name`)
  const endpoint = str('s3-endpoint')
  if (endpoint !== undefined) parseUrl(endpoint, '--s3-endpoint')
  const part = str('s3-part-size')
  const partSize = part !== undefined ? parseSize(part, '--s3-part-size') : undefined
  if (partSize !== undefined && (partSize < 5 * 2 ** 20 || partSize > 5 * 2 ** 30))
    throw new UsageError('--s3-part-size must be between 5MiB and 5GiB (S3 part limits)')
  const memory = str('s3-part-memory')
  const partMemory = memory !== undefined ? parseSize(memory, '--s3-part-memory') : undefined
  // The SDK is pinned to a release that supports Node 20: its notice about later releases is not for operators.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true'
  // Loaded only with --s3-bucket: the AWS SDK is about 10 MiB of idle RSS a disk server would carry (issue 17).
  const { createS3Client, S3Store } = await import('@rufh/store-s3')
  const client = createS3Client({
    endpoint,
    region: str('s3-region'),
    forcePathStyle: values['s3-path-style'] === true,
  })
  const prefix = str('s3-prefix') ?? ''
  const store = new S3Store({
    client,
    bucket,
    prefix,
    ...(partSize ? { partSize } : {}),
    ...(partMemory !== undefined ? { partMemory } : {}),
    spoolStreamedParts: values['s3-spool-streamed-parts'] === true,
  })
  return {
    store,
    describe: `s3://${bucket}/${prefix}`,
    check: () => store.check(),
    close: () => client.destroy(),
  }
}
