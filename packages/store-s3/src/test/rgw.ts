/**
 * Test fixture (not shipped): a throwaway Ceph (one monitor, one memstore OSD, no manager, auth off) with radosgw on
 * free loopback ports in a temporary folder, as `/work/shared/scripts/ceph-rgw-up.sh` does by hand. Installs Debian's
 * radosgw, ceph-mon and ceph-osd when they are missing. By default limits are lowered so that tests cross part
 * boundaries with small bodies: parts may be as small as `MIN_PART_SIZE`, and an upload may have at most `PART_LIMIT`
 * parts. The benchmark (scripts/bench/s3.mjs) starts it with radosgw's own limits instead (`RgwOptions`).
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before } from 'node:test'
import { promisify } from 'node:util'
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3'
import { ensureDebianPackage } from '../../../server/dist/test/kit/apt.js'
import { createS3Client } from '../client.js'
import { S3Store, type S3StoreOptions } from '../s3-store.js'

const execFileAsync = promisify(execFile)
/** Every Ceph tool call has a deadline: one waiting on a daemon that died would otherwise hold the fixture forever. */
const run = (bin: string, args: string[], timeout = 60_000) => execFileAsync(bin, args, { timeout })
// The SDK is pinned to a release for Node 20 (env.md): its notice about later releases is noise in test output.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true'

/** radosgw refuses to complete a multipart upload whose parts (but the last) are smaller than this. */
export const MIN_PART_SIZE = 1024
/** radosgw's `rgw_multipart_part_upload_limit` here (10,000 by default, as on AWS). */
export const PART_LIMIT = 100
export const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' }

export interface RgwOptions {
  /** `rgw_multipart_min_part_size`; `'default'` keeps radosgw's own (5 MiB). Default `MIN_PART_SIZE`. */
  minPartSize?: number | 'default'
  /** `rgw_multipart_part_upload_limit`; `'default'` keeps radosgw's own (10,000). Default `PART_LIMIT`. */
  partLimit?: number | 'default'
  /** Capacity of the memory-backed OSD. Default 2 GiB. */
  memstoreBytes?: number
  /**
   * Deleted objects' data is freed by radosgw's garbage collector, by default two hours later: a benchmark that
   * writes gigabytes into memory sets this to free it at once (`gc()`).
   */
  promptGc?: boolean
}

export interface Rgw {
  endpoint: string
  /** radosgw's log file: one `beast:` line per S3 request it answered (method, path with query, status). */
  logFile: string
  client(): S3Client
  /** A new, empty bucket. */
  bucket(): Promise<string>
  /** Runs the garbage collector over everything deleted so far (frees the memory of deleted objects). */
  gc(): Promise<void>
  stop(): Promise<void>
}

/**
 * A free port below Linux's ephemeral range (32768-60999). The daemons bind their ports seconds after they are
 * chosen; in the ephemeral range, another test's `listen(0)` (or an outgoing connection) could take the port first.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * 22_000)
    const s = createServer()
    const free = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false))
      s.listen(port, '127.0.0.1', () => resolve(true))
    })
    if (free) {
      await new Promise((r) => s.close(r))
      return port
    }
  }
}

function ensureCeph(): void {
  const works = (bin: string) => () => spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0
  ensureDebianPackage('ceph-mon', works('ceph-mon'))
  ensureDebianPackage('ceph-osd', works('ceph-osd'))
  ensureDebianPackage('radosgw', works('radosgw'))
}

async function until(
  what: string,
  deadlineMs: number,
  probe: () => Promise<boolean>,
  gone: () => string | undefined,
): Promise<void> {
  const end = Date.now() + deadlineMs
  while (!(await probe())) {
    const why = gone()
    if (why) throw new Error(`radosgw fixture: ${what} did not happen: ${why}`)
    if (Date.now() > end) throw new Error(`radosgw fixture: ${what} did not happen within ${deadlineMs} ms`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

/**
 * Ceph 16's tools and daemons now and then send their first command to the monitor before they have its fsid: the
 * monitor logs "handle_command on fsid 00000000-... != ..." and refuses it ('wrong fsid', EPERM), and the tool fails
 * or the daemon exits. With three clusters starting side by side, 30 starts took 7 such retries, some twice in a row.
 * The same step again works, so each step is retried on its own; before, the whole cluster was started again, and
 * three starts in a row failed once in CI.
 */
const STEP_TRIES = 8
/** No new try of a step after this long (ms): a step that keeps timing out fails the start instead. */
const STEP_BUDGET_MS = 90_000

async function retried<T>(what: string, step: () => Promise<T>): Promise<T> {
  const errors: string[] = []
  const start = Date.now()
  for (;;) {
    try {
      return await step()
    } catch (e) {
      errors.push((e as Error).message)
      if (errors.length >= STEP_TRIES || Date.now() - start > STEP_BUDGET_MS)
        throw new Error(`${what}, ${errors.length} tries:\n${errors.join('\n')}`)
      await new Promise((r) => setTimeout(r, 1000))
    }
  }
}

async function ok(p: Promise<unknown>): Promise<boolean> {
  try {
    await p
    return true
  } catch {
    return false
  }
}

/**
 * Starts a fresh cluster, up to three times: each step of a start is retried on its own (`retried`), so this is for
 * what a retried step cannot mend. Each failed start's reason is kept in the error.
 */
export async function startRgw(options: RgwOptions = {}): Promise<Rgw> {
  ensureCeph()
  const errors: string[] = []
  const start = Date.now()
  // At most three starts, none begun after 5 minutes: the file's hook gives up at 15 (rgwForFile), and the reasons
  // collected here must reach it.
  for (let attempt = 0; attempt < 3 && Date.now() - start < 300_000; attempt++) {
    try {
      return await startOnce(options)
    } catch (e) {
      errors.push(`start ${attempt + 1}: ${(e as Error).message}`)
    }
  }
  throw new Error(errors.join('\n'))
}

/** The `[client.rgw.a]` lines that set the options given (radosgw's own default where an option says so). */
function rgwSettings(o: RgwOptions): string {
  const lines: string[] = []
  const minPart = o.minPartSize ?? MIN_PART_SIZE
  const partLimit = o.partLimit ?? PART_LIMIT
  if (minPart !== 'default') lines.push(`rgw multipart min part size = ${minPart}`)
  if (partLimit !== 'default') lines.push(`rgw multipart part upload limit = ${partLimit}`)
  if (o.promptGc) lines.push('rgw gc obj min wait = 0')
  return lines.join('\n')
}

async function startOnce(options: RgwOptions): Promise<Rgw> {
  const d = await mkdtemp(join(tmpdir(), 'rufh-rgw-'))
  for (const sub of ['mon', 'osd0', 'rgw', 'run', 'log']) await mkdir(join(d, sub))
  const monPort = await freePort()
  const rgwPort = await freePort()
  const fsid = crypto.randomUUID()
  const conf = join(d, 'ceph.conf')
  await writeFile(
    conf,
    `[global]
fsid = ${fsid}
mon host = v1:127.0.0.1:${monPort}
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
run dir = ${d}/run
admin socket = ${d}/run/$name.asok
log file = ${d}/log/$name.log
pid file = ${d}/run/$name.pid
[mon.a]
mon data = ${d}/mon
[osd.0]
osd data = ${d}/osd0
osd objectstore = memstore
memstore device bytes = ${options.memstoreBytes ?? 2 * 1024 ** 3}
osd max object size = 134217728
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw data = ${d}/rgw
rgw dns name = 127.0.0.1
${rgwSettings(options)}
`,
  )
  const c = ['-c', conf]
  const daemons: ChildProcess[] = []
  const exits: string[] = []
  // Foreground daemons (-f) are children of this process: they die with it, never outlive a crashed test run.
  const daemon = (bin: string, args: string[]) => {
    const p = spawn(bin, [...c, '-f', ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    let exit: string | undefined
    p.stderr?.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-2000)
    })
    p.once('exit', (code, signal) => {
      exit = `${bin} exited (${code ?? signal}): ${err}`
      exits.push(exit)
    })
    daemons.push(p)
    return { p, gone: () => exit }
  }
  const kill = async (p: ChildProcess) => {
    if (p.exitCode !== null || p.signalCode !== null) return
    const exited = new Promise((r) => p.once('exit', r))
    // Memstore: nothing to flush, so no graceful stop is needed.
    p.kill('SIGKILL')
    await exited
  }
  /**
   * A daemon started and waited for; one that exits first or never gets there is killed (then `undo` runs) and
   * started again.
   */
  const started = (
    what: string,
    bin: string,
    args: string[],
    deadlineMs: number,
    probe: () => Promise<boolean>,
    undo: () => Promise<unknown> = async () => {},
  ) =>
    retried(what, async () => {
      const proc = daemon(bin, args)
      try {
        await until(what, deadlineMs, probe, proc.gone)
        return proc
      } catch (e) {
        await kill(proc.p)
        await undo()
        throw e
      }
    })
  const stop = async () => {
    for (const p of daemons.reverse()) await kill(p)
    await rm(d, { recursive: true, force: true })
  }
  try {
    await run('monmaptool', ['--create', '--addv', 'a', `[v1:127.0.0.1:${monPort}]`, '--fsid', fsid, join(d, 'monmap')])
    await run('ceph-mon', [...c, '--mkfs', '-i', 'a', '--monmap', join(d, 'monmap')])
    const mon = await started('the monitor answering', 'ceph-mon', ['-i', 'a'], 30_000, () =>
      ok(run('ceph', [...c, '--connect-timeout', '2', '-s'])),
    )
    const osdUuid = crypto.randomUUID()
    // The same uuid again gives the same OSD id: a retry after a refused first try is safe.
    await retried('ceph osd new', () => run('ceph', [...c, 'osd', 'new', osdUuid]))
    await retried('ceph-osd --mkfs', async () => {
      await rm(join(d, 'osd0'), { recursive: true, force: true })
      await mkdir(join(d, 'osd0'))
      await run('ceph-osd', [...c, '-i', '0', '--mkfs', '--osd-uuid', osdUuid])
    })
    const osd = await started(
      'the OSD coming up',
      'ceph-osd',
      ['-i', '0'],
      30_000,
      async () => {
        const r = await run('ceph', [...c, '--connect-timeout', '5', 'osd', 'stat']).catch(() => ({ stdout: '' }))
        return r.stdout.includes('1 up')
      },
      // An OSD that came up just after its deadline stays "up" in the map (no peer or manager marks it down), and
      // the next try's probe would believe it.
      () => ok(run('ceph', [...c, '--connect-timeout', '5', 'osd', 'down', '0'])),
    )
    const endpoint = `http://127.0.0.1:${rgwPort}`
    // radosgw's own answer (an S3 error or bucket list in XML), not some other server's on the same port.
    const isRgw = async () =>
      /ListAllMyBucketsResult|<Error>/.test(
        await (await fetch(endpoint, { signal: AbortSignal.timeout(5_000) })).text(),
      )
    const rgw = await started('radosgw answering', 'radosgw', ['-n', 'client.rgw.a'], 60_000, () =>
      isRgw().catch(() => false),
    )
    const dead = [mon, osd, rgw].map((x) => x.gone()).filter((x) => x !== undefined)
    if (dead.length) throw new Error(dead.join('\n'))
    const userArgs = ['--uid', 'test']
    const keys = ['--access-key', CREDENTIALS.accessKeyId, '--secret', CREDENTIALS.secretAccessKey]
    await retried('radosgw-admin user create', async () => {
      try {
        await run('radosgw-admin', [...c, 'user', 'create', ...userArgs, '--display-name', 'test', ...keys])
      } catch (e) {
        // A try that failed after the user was made: the user is there, which is all this step is for.
        if (!(await ok(run('radosgw-admin', [...c, 'user', 'info', ...userArgs])))) throw e
      }
    })
    let n = 0
    const client = () =>
      createS3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS })
    const admin = client()
    return {
      endpoint,
      logFile: join(d, 'log', 'client.rgw.a.log'),
      client,
      async bucket() {
        const name = `b${++n}-${process.pid}`
        await admin.send(new CreateBucketCommand({ Bucket: name }))
        return name
      },
      gc: async () => {
        await run('radosgw-admin', [...c, 'gc', 'process', '--include-all'], 600_000)
      },
      stop: async () => {
        admin.destroy()
        await stop()
      },
    }
  } catch (e) {
    let logs = exits.join('\n')
    for (const name of ['mon.a', 'osd.0', 'client.rgw.a']) {
      const log = await readFile(join(d, 'log', `${name}.log`), 'utf8').catch(() => '')
      logs += `--- ${name}.log\n${log.slice(-1500)}\n`
    }
    await stop()
    throw new Error(`radosgw fixture failed: ${(e as Error).message}\n${logs}`)
  }
}

/** The radosgw and bucket of one test file (`rgwForFile`): set once its `before` hook has run. */
export interface RgwFixture {
  rgw: Rgw
  bucket: string
}

/**
 * One radosgw and one bucket for the tests of one file: started before them (its first start can install packages,
 * hence the long timeout), stopped after them together with the S3 clients the tests made (`clients`) and whatever
 * else they registered (`cleanups`).
 */
export function rgwForFile(clients: S3Client[], cleanups: (() => Promise<unknown>)[] = []): RgwFixture {
  const fixture = {} as RgwFixture
  before(
    async () => {
      fixture.rgw = await startRgw()
      fixture.bucket = await fixture.rgw.bucket()
    },
    { timeout: 900_000 },
  )
  after(async () => {
    for (const c of clients) c.destroy()
    for (const c of cleanups) await c()
    await fixture.rgw?.stop()
  })
  return fixture
}

/**
 * A store on the fixture's bucket over `client`, with the lowered limits (parts of `MIN_PART_SIZE`, which is also the
 * smallest radosgw takes here, at most `PART_LIMIT`); `options` override them.
 */
export function testStore(
  f: RgwFixture,
  client: S3Client,
  prefix: string,
  options: Partial<Omit<S3StoreOptions, 'client' | 'bucket' | 'prefix'>> = {},
): S3Store {
  return new S3Store({
    client,
    bucket: f.bucket,
    prefix,
    partSize: MIN_PART_SIZE,
    minPartSize: MIN_PART_SIZE,
    maxParts: PART_LIMIT,
    ...options,
  })
}

/** An upload's bytes as the store serves them. */
export async function readUpload(s: S3Store, id: string): Promise<Buffer> {
  const out: Uint8Array[] = []
  for await (const c of s.read(id)) out.push(c)
  return Buffer.concat(out)
}
