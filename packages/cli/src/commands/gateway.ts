/** `rufh gateway`: resumable uploads in front of a plain HTTP backend (see docs/gateway.md). */
import { startGateway } from '@rufh/gateway'
import { RedisLocker } from '@rufh/server/redis'
import { pino } from 'pino'
import {
  DURATION_RULE,
  parseChoice,
  parseFlags,
  parseInteger,
  parseSeconds,
  parseSize,
  parseUrl,
  SIZE_RULE,
  UsageError,
  usageFailed,
} from '../args.js'
import { readServerFlags, type ServerSettings, serverFlags, serverFlagsUsage } from '../server-flags.js'
import { untilSignal } from '../until-signal.js'
import { S3_OPTIONS, S3_USAGE, type S3Setup, s3StoreOf } from './serve-s3.js'

export const summary = 'resumable uploads (interop 3-10, tus) in front of a plain HTTP backend'

const SYNOPSIS = 'rufh gateway --backend URL [options]'

const USAGE = `usage: ${SYNOPSIS}

  --backend URL             the plain HTTP backend (http:// or https://), e.g. http://127.0.0.1:3000
  --mode spool|stream       spool (default): store, then one request at completion; stream: one request fed
                            as appends arrive (upload URLs must reach the node that created them)
  --upload-path PATH        where upload resources live (default /.uploads/); creation works on any path
  --idle-timeout DURATION   a client silent this long is interrupted; stream mode aborts its backend request
                            (default 60)
  --forward-retries N       spool mode: extra attempts when the backend is down or answers 5xx (default 5)
  --response-limit SIZE     largest backend response body relayed and kept (default 1MiB)
${serverFlagsUsage('./gateway', 'stored uploads and backend answers', {
  tls: 'serve HTTPS (HTTP/2 and HTTP/1.1 by ALPN)',
})}
  S3 (spool mode): the journal of each upload (its request head, the backend's answer) is kept in the bucket
  with it, so that gateways on one bucket and one --redis act as one.
${S3_USAGE}

Requests without a protocol field (or with an interop version it does not speak) go to the backend unchanged.
Without TLS the port speaks HTTP/1.1 and h2c (HTTP/2 with prior knowledge).

${SIZE_RULE}.
${DURATION_RULE}.`

export async function run(argv: string[]): Promise<number> {
  let flags: ServerSettings
  let backend: string
  let mode: 'spool' | 'stream'
  let idleTimeoutMs: number
  let forwardRetries: number
  let responseLimit: number
  let uploadPath: string
  let s3: S3Setup | undefined
  try {
    const { values } = parseFlags({
      args: argv,
      options: {
        ...serverFlags('./gateway'),
        backend: { type: 'string' },
        mode: { type: 'string', default: 'spool' },
        'upload-path': { type: 'string', default: '/.uploads/' },
        'idle-timeout': { type: 'string', default: '60' },
        'forward-retries': { type: 'string', default: '5' },
        'response-limit': { type: 'string', default: '1MiB' },
        help: { type: 'boolean', short: 'h' },
        ...S3_OPTIONS,
      },
    })
    if (values.help) {
      process.stdout.write(`${USAGE}\n`)
      return 0
    }
    flags = readServerFlags(values)
    if (values.backend === undefined) throw new UsageError('--backend URL is required')
    backend = parseUrl(values.backend, '--backend').href
    mode = parseChoice(values.mode, '--mode', ['spool', 'stream'] as const)
    idleTimeoutMs = parseSeconds(values['idle-timeout'], '--idle-timeout', 1) * 1000
    forwardRetries = parseInteger(values['forward-retries'], '--forward-retries')
    responseLimit = parseSize(values['response-limit'], '--response-limit')
    uploadPath = values['upload-path']
    if (!uploadPath.startsWith('/')) throw new UsageError(`--upload-path must start with '/' (got '${uploadPath}')`)
    if (mode === 'stream' && values['s3-bucket'] !== undefined)
      throw new UsageError('--s3-bucket is for spool mode (stream mode stores no bytes)')
    s3 = await s3StoreOf(values)
  } catch (e) {
    return usageFailed('gateway', SYNOPSIS, e)
  }
  if (s3) {
    try {
      await s3.check()
    } catch (e) {
      s3.close()
      process.stderr.write(`rufh gateway: ${(e as Error).message}\n`)
      return 1
    }
  }
  const logger = pino({ level: flags.logLevel })
  const ttlMs = flags.redisLockTtlMs
  const locker = flags.redis ? new RedisLocker({ url: flags.redis, ...(ttlMs ? { ttlMs } : {}) }) : undefined
  let gw: Awaited<ReturnType<typeof startGateway>>
  try {
    gw = await startGateway({
      backend,
      mode,
      host: flags.host,
      port: flags.port,
      directory: flags.dir,
      uploadPath,
      limits: flags.limits,
      fsync: flags.fsync,
      trustProxy: flags.trustProxy,
      idleTimeoutMs,
      forwardRetries,
      responseLimit,
      logger,
      ...(s3 ? { store: s3.store } : {}),
      ...(flags.cors ? { cors: flags.cors } : {}),
      ...(flags.tls ? { tls: flags.tls } : {}),
      ...(locker ? { locker } : {}),
    })
  } catch (e) {
    await locker?.close()
    s3?.close()
    process.stderr.write(`rufh gateway: cannot start: ${(e as Error).message}\n`)
    return 1
  }
  const storage = s3?.describe ?? flags.dir
  process.stdout.write(`rufh gateway ${gw.url} -> ${backend} (${mode}${mode === 'spool' ? `, ${storage}` : ''})\n`)
  logger.info({ url: gw.url, backend, mode, storage, limits: flags.limits }, 'listening')
  return untilSignal(logger, async () => {
    await gw.close()
    await locker?.close()
    s3?.close()
  })
}
