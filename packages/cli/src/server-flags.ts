/**
 * The `rufh serve` flags that `rufh gateway` takes too (listening, folder, limits, CORS, TLS, proxies, Redis), read
 * with the shared parser helpers (args.ts) and the same rules and messages as `rufh serve`.
 */
import { readFileSync } from 'node:fs'
import type { GatewayOptions } from '@rufh/gateway'
import { parseDuration, parseInteger, parseSeconds, parseSize, parseUrl, UsageError } from './args.js'

/** The protocol's limits (named through a shipped dependency: @rufh/protocol is only a dev dependency here). */
type Limits = NonNullable<GatewayOptions['limits']>

export function serverFlags(dir: string) {
  return {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '1080' },
    dir: { type: 'string', default: dir },
    'max-size': { type: 'string' },
    'min-size': { type: 'string' },
    'max-append-size': { type: 'string' },
    'min-append-size': { type: 'string' },
    'max-age': { type: 'string' },
    'cors-origin': { type: 'string', multiple: true },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'trust-proxy': { type: 'boolean', default: false },
    fsync: { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'info' },
    redis: { type: 'string' },
    'redis-lock-ttl': { type: 'string' },
  } as const
}

/** The help lines of the shared flags; `tls` and `redis` say what those flags mean for the command. */
export function serverFlagsUsage(dir: string, what: string, o: { tls?: string; redis?: string } = {}): string {
  const tls = o.tls ?? 'serve HTTPS'
  const redis =
    o.redis ??
    `share locks with other processes on the same folder through Redis
                            (redis://host:port[/db])`
  return `  --host HOST               address to listen on (default 127.0.0.1)
  --port PORT               port (default 1080; 0 = any free port)
  --dir DIR                 folder for ${what} (default ${dir})
  --max-size SIZE           largest upload (e.g. 10GiB)
  --min-size SIZE           smallest upload offered resumability
  --max-append-size SIZE    largest request body of one append
  --min-append-size SIZE    smallest non-final append
  --max-age DURATION        lifetime of an incomplete upload (whole seconds); expired ones are removed
  --cors-origin ORIGIN      allow a browser origin (repeatable; '*' for any)
  --tls-cert FILE           ${tls} with this certificate...
  --tls-key FILE            ...and this key
  --trust-proxy             build Location from Forwarded / X-Forwarded-* (only behind a trusted proxy)
  --fsync                   flush to stable storage before acknowledging (power-loss safety; slower)
  --log-level LEVEL         trace|debug|info|warn|error|silent (default info)
  --redis URL               ${redis}
  --redis-lock-ttl DURATION lifetime of a Redis upload lock its server stops renewing (killed): another server
                            takes that server's uploads over after at most this long (default 4s; renewed every
                            quarter of it; keep it under the 10 s lock wait, or such requests get 423)`
}

export interface ServerSettings {
  host: string
  port: number
  dir: string
  limits: Limits
  tls: { cert: Buffer; key: Buffer } | undefined
  cors: { origins: '*' | string[] } | undefined
  trustProxy: boolean
  fsync: boolean
  logLevel: string
  redis: string | undefined
  /** `--redis-lock-ttl` in milliseconds (RedisLockerOptions.ttlMs). */
  redisLockTtlMs: number | undefined
}

/** Checks the shared flags; throws `UsageError`. */
export function readServerFlags(values: Record<string, string | boolean | (string | boolean)[] | undefined>) {
  const str = (k: string) => values[k] as string | undefined
  const limits: Limits = {}
  if (str('max-size')) limits.maxSize = parseSize(str('max-size')!, '--max-size')
  if (str('min-size')) limits.minSize = parseSize(str('min-size')!, '--min-size')
  if (str('max-append-size')) limits.maxAppendSize = parseSize(str('max-append-size')!, '--max-append-size')
  if (str('min-append-size')) limits.minAppendSize = parseSize(str('min-append-size')!, '--min-append-size')
  if (str('max-age')) limits.maxAge = parseSeconds(str('max-age')!, '--max-age', 1)
  const port = parseInteger(str('port')!, '--port', { max: 65535 })
  if (!!str('tls-cert') !== !!str('tls-key')) throw new UsageError('--tls-cert and --tls-key go together')
  const tls = str('tls-cert')
    ? { cert: readFlagFile(str('tls-cert')!, '--tls-cert'), key: readFlagFile(str('tls-key')!, '--tls-key') }
    : undefined
  if (str('redis') !== undefined) parseUrl(str('redis')!, '--redis', ['redis', 'rediss'])
  const ttl = str('redis-lock-ttl')
  const redisLockTtlMs = ttl === undefined ? undefined : parseDuration(ttl, '--redis-lock-ttl')
  if (redisLockTtlMs !== undefined) {
    if (str('redis') === undefined) throw new UsageError('--redis-lock-ttl needs --redis')
    if (redisLockTtlMs < 200 || redisLockTtlMs > 600_000)
      throw new UsageError(`--redis-lock-ttl must be 200ms to 10m (got '${ttl}')`)
  }
  const origins = values['cors-origin'] as string[] | undefined
  const settings: ServerSettings = {
    host: str('host')!,
    port,
    dir: str('dir')!,
    limits,
    tls,
    cors: origins?.length ? { origins: origins.includes('*') ? '*' : origins } : undefined,
    trustProxy: values['trust-proxy'] === true,
    fsync: values.fsync === true,
    logLevel: str('log-level') ?? 'info',
    redis: str('redis'),
    redisLockTtlMs,
  }
  return settings
}

/** A file named by a flag; a file that cannot be read is a usage error. */
export function readFlagFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file)
  } catch (e) {
    throw new UsageError(`${what}: cannot read '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
}
