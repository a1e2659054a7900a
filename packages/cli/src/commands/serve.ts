/** `rufh serve`: the upload server on the embedded disk store, or on S3 (serve-s3.ts). */
import {
  type Authorize,
  type HookEvent,
  httpAuthorizer,
  httpHooks,
  type ListenOptions,
  startServer,
} from '@rufh/server'
import { pino } from 'pino'
import { DURATION_RULE, parseFlags, parseInteger, parseUrl, SIZE_RULE, UsageError, usageFailed } from '../args.js'
import { readFlagFile, readServerFlags, type ServerSettings, serverFlags, serverFlagsUsage } from '../server-flags.js'
import { untilSignal } from '../until-signal.js'
import { CONNECTION_FLAGS, CONNECTION_USAGE, connectionOptions } from './serve-connections.js'
import { S3_OPTIONS, S3_USAGE, type S3Setup, s3StoreOf } from './serve-s3.js'

export const summary = 'serve resumable uploads (interop 3-10) into a folder or an S3 bucket'

const SYNOPSIS = 'rufh serve [options]'

const USAGE = `usage: ${SYNOPSIS}

${serverFlagsUsage('./uploads', 'uploads', {
  tls: 'serve HTTPS (HTTP/2 and HTTP/1.1 by ALPN)',
  redis: `share upload locks with other rufh servers through Redis (redis://host:port[/db]),
                            for several servers on one shared store`,
})}
  --backlog N               pending connections the kernel queues (default 4096, capped by net.core.somaxconn)
  --base-path PATH          upload-creation path (default /files/)
  --metrics                 serve Prometheus metrics (requests, uploads, bytes, process) at GET /metrics
  --metrics-path PATH       where to serve them (default /metrics; implies --metrics)
  --hooks-url URL           POST each upload event (pre-create, post-create, post-finish, post-terminate) as JSON
                            to URL; a pre-create answered with a non-2xx status refuses the upload with that status
  --hooks-events LIST       which events --hooks-url gets, comma-separated, of pre-create, pre-finish,
                            pre-terminate, post-create, post-receive, post-finish, post-terminate
                            (default pre-create,post-create,post-finish,post-terminate)
  --auth-url URL            ask URL (JSON POST) before every request; a 2xx answer allows and may name the
                            principal, who then owns the uploads it creates; any other answer denies (401/403)
  --jwt-secret-file FILE    accept HS256 bearer tokens (JWT with exp; the principal is sub) signed with the
                            secret in FILE (at least 32 bytes)
  --auth-open-discovery     answer OPTIONS without asking for authorization
  --ui                      serve an upload page at / (pick or drop files, progress, pause/resume/cancel,
                            resume after a reload, download links)
${CONNECTION_USAGE}
${S3_USAGE}

${SIZE_RULE}.
${DURATION_RULE}.
Without TLS the port speaks HTTP/1.1 and h2c (HTTP/2 with prior knowledge).`

export async function run(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | string[] | undefined>
  let shared: ServerSettings
  let backlog: number | undefined
  let authorize: Authorize | undefined
  let hookEvents: HookEvent[] | undefined
  let connections: ReturnType<typeof connectionOptions>
  let s3: S3Setup | undefined
  const str = (k: string) => values[k] as string | undefined
  try {
    values = parseFlags({
      args: argv,
      options: {
        ...serverFlags('./uploads'),
        backlog: { type: 'string' },
        'base-path': { type: 'string', default: '/files/' },
        metrics: { type: 'boolean', default: false },
        'metrics-path': { type: 'string' },
        'hooks-url': { type: 'string' },
        'hooks-events': { type: 'string' },
        'auth-url': { type: 'string' },
        'jwt-secret-file': { type: 'string' },
        'auth-open-discovery': { type: 'boolean', default: false },
        ui: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
        ...CONNECTION_FLAGS,
        ...S3_OPTIONS,
      },
    }).values
    if (values.help) {
      process.stdout.write(`${USAGE}\n`)
      return 0
    }
    connections = connectionOptions(str)
    shared = readServerFlags(values)
    if (str('backlog') !== undefined) backlog = parseInteger(str('backlog')!, '--backlog', { min: 1 })
    const m = str('metrics-path')
    if (m !== undefined && !m.startsWith('/')) throw new UsageError(`--metrics-path must start with '/' (got '${m}')`)
    if (str('hooks-url') !== undefined) parseUrl(str('hooks-url')!, '--hooks-url')
    // Authorization and deciding hooks (issue 16).
    hookEvents = hookEventsOf(str('hooks-events'))
    authorize = await authorizerOf(str('auth-url'), str('jwt-secret-file'))
    s3 = await s3StoreOf(values)
    if (values.ui === true && str('base-path')!.replace(/^\/+|\/+$/g, '') === '')
      throw new UsageError('--ui serves the page at /, so --base-path must be another path')
  } catch (e) {
    return usageFailed('serve', SYNOPSIS, e)
  }
  const { limits, port, tls, cors } = shared
  const logger = pino({ level: shared.logLevel })
  const metricsPath = str('metrics-path')
  const metrics =
    values.metrics === true || metricsPath !== undefined
      ? new (await import('@rufh/server/prometheus')).ServerMetrics(
          metricsPath !== undefined ? { path: metricsPath } : {},
        )
      : undefined
  const redisUrl = shared.redis
  const hooksUrl = str('hooks-url')
  // prom-client and ioredis load only when asked for: a server without them holds ~12 MiB less (docs/benchmarks.md).
  const ttlMs = shared.redisLockTtlMs
  const locker = redisUrl
    ? new (await import('@rufh/server/redis')).RedisLocker({ url: redisUrl, ...(ttlMs ? { ttlMs } : {}) })
    : undefined
  // --ui: the page at `/` answers before the upload handler; @rufh/ui is loaded only when asked for.
  let routes: ListenOptions['routes']
  if (values.ui === true) {
    const { createUiHandler } = await import('@rufh/ui')
    routes = createUiHandler({ endpoint: str('base-path')! })
  }
  if (s3) {
    try {
      await s3.check()
    } catch (e) {
      s3.close()
      await locker?.close()
      process.stderr.write(`rufh serve: ${(e as Error).message}\n`)
      return 1
    }
  }
  let server: Awaited<ReturnType<typeof startServer>>
  try {
    server = await startServer({
      ...(s3 ? { store: s3.store } : {}),
      host: shared.host,
      port,
      ...(backlog !== undefined ? { backlog } : {}),
      directory: shared.dir,
      basePath: str('base-path')!,
      limits,
      fsync: shared.fsync,
      trustProxy: shared.trustProxy,
      logger,
      connections,
      ...(cors ? { cors } : {}),
      ...(tls ? { tls } : {}),
      ...(metrics ? { metrics } : {}),
      ...(locker ? { locker } : {}),
      ...(hooksUrl ? { hooks: httpHooks(hooksUrl, hookEvents ? { events: hookEvents } : {}) } : {}),
      ...(authorize ? { authorize, authorization: { discovery: values['auth-open-discovery'] !== true } } : {}),
      ...(routes ? { routes } : {}),
    })
  } catch (e) {
    await locker?.close()
    process.stderr.write(`rufh serve: cannot listen: ${(e as Error).message}\n`)
    return 1
  }
  process.stdout.write(`rufh serving ${server.url} -> ${s3?.describe ?? str('dir')}\n`)
  if (routes) process.stdout.write(`rufh upload page at ${new URL('/', server.url).href}\n`)
  logger.info(
    {
      url: server.url,
      dir: str('dir'),
      limits,
      metrics: metrics?.path,
      redis: redisUrl ? new URL(redisUrl).host : undefined,
    },
    'listening',
  )
  return untilSignal(logger, async () => {
    await server.close()
    await locker?.close()
    s3?.close()
  })
}

const HOOK_EVENTS: readonly HookEvent[] = [
  'pre-create',
  'pre-finish',
  'pre-terminate',
  'post-create',
  'post-receive',
  'post-finish',
  'post-terminate',
]

function hookEventsOf(list: string | undefined): HookEvent[] | undefined {
  if (list === undefined) return undefined
  const events = list.split(',').map((e) => e.trim())
  for (const e of events)
    if (!HOOK_EVENTS.includes(e as HookEvent))
      throw new UsageError(`--hooks-events: '${e}' is not one of ${HOOK_EVENTS.join(', ')}`)
  return events as HookEvent[]
}

async function authorizerOf(url: string | undefined, secretFile: string | undefined): Promise<Authorize | undefined> {
  if (url !== undefined && secretFile !== undefined)
    throw new UsageError('--auth-url and --jwt-secret-file are alternatives: choose one')
  if (url !== undefined) {
    parseUrl(url, '--auth-url')
    return httpAuthorizer(url)
  }
  if (secretFile === undefined) return undefined
  // A trailing newline (echo > file) is not part of the secret.
  const secret = readFlagFile(secretFile, '--jwt-secret-file')
    .toString('utf8')
    .replace(/\r?\n$/, '')
  if (Buffer.byteLength(secret) < 32) throw new UsageError('--jwt-secret-file: the secret must be at least 32 bytes')
  // Loaded only when asked for, like Redis and Prometheus: jose is idle RSS every server would carry (issue 17).
  return (await import('@rufh/server/jwt')).jwtAuthorizer({ secret })
}
