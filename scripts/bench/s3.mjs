/**
 * Bench suite `s3` (issue 15): `rufh serve --s3-bucket` (packages/store-s3) against @tus/server + @tus/s3-store, on
 * the same Ceph radosgw in the same run, both over tus 1.0 with the same load generator (`rufh load`, careful
 * creation then one PATCH per upload): one upload of `--size` (1 GiB by default) and 100 concurrent uploads of 8 MiB.
 * radosgw is the project's test fixture (packages/store-s3/src/test/rgw.ts) at radosgw's own limits (5 MiB smallest
 * part, 10,000 parts), started and stopped here. Every upload is verified by GET (size and sha256), which both
 * servers answer from the S3 object. The bucket is emptied (and radosgw's garbage collector run) after each upload
 * set, so the memory-backed OSD never fills. A third server, the ceiling (s3-ceiling-server.mjs), streams the same
 * PATCH bodies straight into SDK multipart uploads with no protocol logic: what any Node S3 uploader reaches here.
 *
 * Also counted, for docs/capacity.md: S3 requests per upload and per append, from radosgw's log (s3-ops.mjs), and,
 * in a pass of many smaller appends against `rufh serve --redis`, Redis commands per append (`INFO commandstats`);
 * the same pass against `rufh serve` without Redis and @tus/server gives the appends' latency side by side.
 */
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { runLoad } from '../../packages/load/dist/index.js'
import { startRedis } from '../../packages/server/dist/test/kit/redis.js'
import { CREDENTIALS, startRgw } from '../../packages/store-s3/dist/test/rgw.js'
import { cpuOf, formatSize, MiB, median, sampleRss, startServer } from './lib.mjs'
import { emptyBucket, formatOps, RgwLog } from './s3-ops.mjs'

export const title = 'S3 on Ceph radosgw: `rufh serve --s3-bucket` vs @tus/server + @tus/s3-store (tus 1.0)'
export const description =
  'Both servers store into buckets of one radosgw 16.2 (memstore OSD, radosgw at its default 5 MiB smallest part), ' +
  'parts of 8 MiB, the load generator and both servers on the same 2 cores as radosgw.'

const NAMES = {
  rufh: '`rufh serve --s3-bucket`',
  tus: '@tus/server + @tus/s3-store',
  ceiling: 'ceiling: node:http → SDK multipart',
}
/** The order of the servers in run i (alternated, so that none always goes first or last). */
const ORDER = [
  ['tus', 'rufh', 'ceiling'],
  ['ceiling', 'rufh', 'tus'],
]
const ENV = {
  AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
}
/** The appends pass: uploads in several PATCHes, with tails crossing part boundaries. */
const APPENDS = { uploads: 10, size: 20 * MiB, chunk: 2 * MiB }

/** `rufh serve` on `bucket` at `endpoint` (also used by s3-ab.mjs). */
export function rufhArgs(root, tmp, bucket, endpoint, extra = []) {
  return [
    join(root, 'packages/cli/dist/bin.js'),
    'serve',
    '--port',
    '0',
    '--dir',
    tmp,
    '--log-level',
    'warn',
    '--s3-bucket',
    bucket,
    '--s3-endpoint',
    endpoint,
    '--s3-path-style',
    ...extra,
  ]
}

/** @param {{ root: string, tmp: string, runs: number, size: number, log: (s: string) => void }} ctx */
export async function run(ctx) {
  const { root, tmp, runs, size, log } = ctx
  const scenarios = {
    big: { label: `1 × ${formatSize(size)}`, users: 1, size },
    many: { label: '100 × 8 MiB', users: 100, size: 8 * MiB },
  }
  const t0 = Date.now()
  const rgw = await startRgw({
    minPartSize: 'default',
    partLimit: 'default',
    memstoreBytes: 8 * 1024 ** 3,
    promptGc: true,
  })
  log(`radosgw up on ${rgw.endpoint} in ${((Date.now() - t0) / 1000).toFixed(0)} s (default part limits)`)
  const admin = rgw.client()
  const rgwLog = new RgwLog(rgw.logFile)
  const buckets = { rufh: await rgw.bucket(), tus: await rgw.bucket(), ceiling: await rgw.bucket() }
  const servers = {}
  let redis
  const res = {}
  const failures = []
  const counts = {}
  /** 1-minute load average at the end of each upload set (the machine is shared). */
  const loads = []
  try {
    servers.rufh = await startServer(
      rufhArgs(root, tmp, buckets.rufh, rgw.endpoint),
      /^rufh serving (\S+)/m,
      undefined,
      ENV,
    )
    servers.tus = await startServer(
      [join(root, 'scripts/bench/tus-s3-server.mjs'), rgw.endpoint, buckets.tus],
      /^tus serving (\S+)/m,
      undefined,
      ENV,
    )
    servers.ceiling = await startServer(
      [join(root, 'scripts/bench/s3-ceiling-server.mjs'), rgw.endpoint, buckets.ceiling],
      /^ceiling serving (\S+)/m,
      undefined,
      ENV,
    )
    /** One upload set against one server: measured, verified, its S3 requests counted, then removed. */
    const measure = async (key, url, bucket, pid, o, seed) => {
      const sampler = pid ? sampleRss(pid) : undefined
      const cpu0 = pid ? cpuOf(pid).total : 0
      const from = Date.now()
      const r = await runLoad({
        url,
        protocol: 'tus-v1',
        model: { kind: 'closed', users: o.users, uploadsPerUser: 1 },
        size: { kind: 'fixed', size: o.size },
        ...(o.chunk ? { chunkSize: o.chunk } : {}),
        seed,
        verify: { kind: 'get' },
        timeoutMs: 120_000,
      })
      const to = Date.now() - r.verifySeconds * 1000
      loads.push(loadavg()[0])
      const mem = sampler?.stop()
      const cpu = pid ? cpuOf(pid).total - cpu0 : 0
      await new Promise((resolve) => setTimeout(resolve, 500)) // radosgw's log thread writes the last lines
      const s3 = await rgwLog.count(bucket, from, to)
      await emptyBucket(admin, bucket)
      await rgw.gc()
      if (!r.ok || r.uploads.verified !== o.users)
        failures.push(`${NAMES[key]} ${o.label} seed ${seed}: ${r.uploads.verified}/${o.users} verified`)
      return { r, mem, cpu, s3 }
    }

    for (let i = 0; i < runs; i++) {
      for (const [sk, o] of Object.entries(scenarios)) {
        for (const key of ORDER[i % 2]) {
          const s = servers[key]
          const { r, mem, cpu, s3 } = await measure(key, s.url, buckets[key], s.pid, o, i + 1)
          res[`${key}:${sk}`] ??= { goodput: [], patch: [], rss: [], cpu: [], s3: [], before: [] }
          const x = res[`${key}:${sk}`]
          x.goodput.push(r.throughput.goodputBytesPerSecond / 1e6)
          x.patch.push(r.latency.completion.p99)
          x.rss.push(Math.max(mem.peak, mem.reset ? mem.hwm : 0) / MiB)
          x.before.push(mem.before / MiB)
          x.cpu.push(cpu / ((o.users * o.size) / (1024 * MiB)))
          x.s3.push(s3)
          log(
            `${NAMES[key].padEnd(30)} ${o.label.padEnd(12)} run ${i + 1}: ${(r.throughput.goodputBytesPerSecond / 1e6).toFixed(1)} MB/s, ` +
              `p99 PATCH ${r.latency.completion.p99.toFixed(0)} ms, peak RSS ${(mem.peak / MiB).toFixed(0)} MiB, ` +
              `CPU ${cpu.toFixed(1)} s, ${s3.total} S3 requests (${s3.failed} failed), ` +
              `${r.uploads.verified}/${o.users} verified, load ${loadavg()[0].toFixed(1)}`,
          )
        }
      }
    }

    // The appends pass: S3 requests and Redis commands per append, rufh with --redis (a second process).
    redis = await startRedis()
    servers.redis = await startServer(
      rufhArgs(root, tmp, buckets.rufh, rgw.endpoint, ['--redis', redis.url]),
      /^rufh serving (\S+)/m,
      undefined,
      ENV,
    )
    const rc = new Redis(redis.url)
    const a = {
      label: `${APPENDS.uploads} × ${formatSize(APPENDS.size)} in ${formatSize(APPENDS.chunk)} PATCHes`,
      ...APPENDS,
      users: APPENDS.uploads,
    }
    // rufh without Redis too: @tus/server locks in its own memory, so that is the like-for-like latency.
    for (const key of ['redis', 'rufh', 'tus']) {
      const before = key === 'redis' ? commandStats(await rc.info('commandstats')) : {}
      const bucket = key === 'tus' ? buckets.tus : buckets.rufh
      const { r, s3 } = await measure(key === 'redis' ? 'rufh' : key, servers[key].url, bucket, undefined, a, 99)
      const after = key === 'redis' ? commandStats(await rc.info('commandstats')) : {}
      const patches = r.latency.append.count + r.latency.completion.count
      const redisOps = Object.fromEntries(
        Object.entries(after)
          .map(([k, n]) => [k, n - (before[k] ?? 0)])
          .filter(([k, n]) => n > 0 && k !== 'info'),
      )
      const { p50, p90, p99 } = r.latency.append
      counts[key] = { patches, creations: r.latency.creation.count, s3, redisOps, p50, p90, p99 }
      log(
        `${key} appends pass: ${patches} PATCHes, ${s3.total} S3 requests: ${formatOps(s3.ops)}; Redis: ${formatOps(redisOps)}`,
      )
    }
    rc.disconnect()
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()))
    admin.destroy()
    await redis?.stop()
    await rgw.stop()
  }
  return report(res, counts, scenarios, runs, failures, loads)
}

/** `INFO commandstats` → calls per command. */
function commandStats(text) {
  const out = {}
  for (const m of text.matchAll(/^cmdstat_(\S+?):calls=(\d+)/gm)) out[m[1]] = Number(m[2])
  return out
}

function report(res, counts, scenarios, runs, failures, loads) {
  const m = (k, f) => median(res[k][f])
  const rows = [
    ['upload set', 'server', 'goodput MB/s (median)', 'min–max', 'p99 PATCH ms', 'peak RSS MiB', 'server CPU s / GiB'],
  ]
  const notes = []
  const SHORT = { rufh: 'rufh', tus: '@tus', ceiling: 'ceiling' }
  for (const [sk, o] of Object.entries(scenarios)) {
    for (const key of ['rufh', 'tus', 'ceiling']) {
      const g = res[`${key}:${sk}`].goodput
      rows.push([
        o.label,
        NAMES[key],
        m(`${key}:${sk}`, 'goodput').toFixed(1),
        `${Math.min(...g).toFixed(1)}–${Math.max(...g).toFixed(1)}`,
        m(`${key}:${sk}`, 'patch').toFixed(0),
        m(`${key}:${sk}`, 'rss').toFixed(0),
        m(`${key}:${sk}`, 'cpu').toFixed(2),
      ])
    }
    const ratio = (a, f) => m(`${a}:${sk}`, f) / m(`tus:${sk}`, f)
    for (const a of ['rufh', 'ceiling']) {
      const target = (t) => (a === 'rufh' ? ` (target ${t})` : '')
      rows.push([
        o.label,
        `${SHORT[a]} / @tus`,
        `${ratio(a, 'goodput').toFixed(2)}×${target('≥ 1.5×')}`,
        '',
        `${ratio(a, 'patch').toFixed(2)}×${target('≤ 1×')}`,
        `${ratio(a, 'rss').toFixed(2)}×${target('≤ 0.5×')}`,
        `${ratio(a, 'cpu').toFixed(2)}×`,
      ])
    }
    const each = (f, d) =>
      ['rufh', 'tus', 'ceiling']
        .map((key) => `${SHORT[key]} ${res[`${key}:${sk}`][f].map((x) => x.toFixed(d)).join(', ')}`)
        .join('; ')
    notes.push(
      `${o.label}: RSS when the set started (MiB; run 1 is the idle process for the first set): ${each('before', 0)}.`,
    )
    notes.push(
      `${o.label} per run: goodput MB/s ${each('goodput', 0)} — peak RSS MiB ${each('rss', 0)} — ` +
        `p99 PATCH ms ${each('patch', 0)} — server CPU s / GiB ${each('cpu', 2)}.`,
    )
    for (const key of ['rufh', 'tus', 'ceiling']) {
      const s3 = res[`${key}:${sk}`].s3[0]
      notes.push(
        `S3 requests per upload, ${o.label}, ${NAMES[key]} (run 1): ${(s3.total / o.users).toFixed(1)} — ${formatOps(s3.ops, o.users)}` +
          (s3.failed ? ` (${s3.failed} answered ≥ 400)` : ''),
      )
    }
  }
  for (const key of ['redis', 'rufh', 'tus']) {
    const c = counts[key]
    if (!c) continue
    const who = key === 'redis' ? `${NAMES.rufh} --redis` : NAMES[key]
    notes.push(
      `Appends pass (${APPENDS.uploads} uploads × ${formatSize(APPENDS.size)} in ${formatSize(APPENDS.chunk)} PATCHes, ${c.patches} PATCHes), ${who}: ` +
        `${(c.s3.total / c.patches).toFixed(2)} S3 requests per PATCH (${(c.s3.total / c.creations).toFixed(1)} per upload: ${formatOps(c.s3.ops, c.creations)}); ` +
        `non-final PATCHes p50 / p90 / p99 ${c.p50.toFixed(0)} / ${c.p90.toFixed(0)} / ${c.p99.toFixed(0)} ms` +
        (key === 'redis'
          ? `; Redis commands per request holding a lease (creation, PATCH): ${(Object.values(c.redisOps).reduce((x, y) => x + y, 0) / (c.patches + c.creations)).toFixed(2)} — ${formatOps(c.redisOps, c.patches + c.creations)}`
          : ''),
    )
  }
  notes.push(
    `1-minute load average at the end of the upload sets: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} (median ${median(loads).toFixed(1)}) on 2 cores shared with other work: compare the servers within this run only.`,
    `${runs} runs; in each, both upload sets against both servers, alternating which server goes first; seed = run number. Each upload is one PATCH (careful creation first).`,
    'Goodput = verified payload bytes / wall time of the upload phase (the verification GETs are not timed). Peak RSS = the largest of VmRSS samples (50 ms) and VmHWM over the upload set, per server process (radosgw not counted). Server CPU = utime + stime of the server over the set, verification GETs included.',
    'S3 requests: every request radosgw logged on the server’s bucket that started during the upload phase (not the verification), by operation; `(.info)` = the upload’s record/info object.',
    failures.length
      ? `**Failures**: ${failures.join('; ')}`
      : 'Every upload completed and was verified (size and sha256 by GET).',
  )
  return { rows, notes }
}
