/**
 * Bench suite `held` (issue 17): N slow uploads held open at once (N = 100, 300, 1000, 3000), each trickling 16 KiB
 * every 0.5 s, in tus 1.0 (all three servers) and IETF interop 8 (`rufh serve` and the floor; @tus/server speaks only
 * tus), through `runHeld` (packages/load/src/held.ts). Every measurement gets a fresh server process (RSS never
 * shrinks back, so a reused process would carry the last run's peak); servers alternate; ≥ 2 runs; medians. Records
 * idle RSS, peak RSS (VmRSS samples and VmHWM), server CPU (user + system from /proc) over the held phase,
 * `process.memoryUsage()` by category at the plateau (through `mem-probe.mjs`), and the kernel's ListenOverflows.
 * Every upload is verified by GET (length and sha256) after the measured phase.
 */
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { runHeld, verifyHeld } from '../../packages/load/dist/held.js'
import { cpuOf, MiB, median, memoryOf, openFilesLimit, sampleRss, startServer, tcpExt } from './lib.mjs'

export const title = 'Held uploads: N slow uploads open at once, `rufh serve` vs @tus/server vs the node:http floor'

const NS = (process.env.RUFH_HELD_NS ?? '100,300,1000,3000').split(',').map(Number)
const CHUNK = 16 * 1024
const CHUNKS = Number(process.env.RUFH_HELD_CHUNKS ?? 20)
const INTERVAL_MS = 500
const RAMP_MS = 2000

export const description =
  `Each upload sends ${CHUNKS} chunks of ${CHUNK / 1024} KiB, one every ${INTERVAL_MS} ms (${(CHUNKS * CHUNK) / 1024} KiB ` +
  `over ${(CHUNKS * INTERVAL_MS) / 1000} s); the N uploads start evenly over ${RAMP_MS / 1000} s. tus 1.0: \`POST\` ` +
  'then one trickling `PATCH` on the same connection; interop 8: one optimistic creation `POST` whose body trickles. ' +
  'The client is one Node process (one timer wheel for every upload). Per-upload cost = the slope of peak RSS ' +
  'between N = 300 and N = 3000: (peak(3000) − peak(300)) / 2700.'

const SERVERS = {
  rufh: { name: '`rufh serve`', protocols: ['tus-v1', 'ietf'] },
  tus: { name: '@tus/server + FileStore', protocols: ['tus-v1'] },
  floor: { name: 'node:http floor', protocols: ['tus-v1', 'ietf'] },
}

function args(root, key, dir) {
  if (key === 'rufh')
    return [
      join(root, 'packages/cli/dist/bin.js'),
      'serve',
      '--port',
      '0',
      '--dir',
      dir,
      '--log-level',
      'warn',
      '--max-connections-per-address',
      '100000',
    ]
  // Every server listens with rufh's default backlog: the per-upload slope compares N uploads held at once, and with
  // Node's 511 the kernel dropped connection attempts of the busy floor at N = 3000 (1,300–3,400 per run), whose
  // uploads then started seconds late, so fewer were open at its peak (docs/benchmarks.md).
  if (key === 'tus') return [join(root, 'packages/load/bench/tus-node-server.mjs'), '0', dir, String(BACKLOG)]
  return [join(root, 'scripts/bench/tus-floor-server.mjs'), dir, '0', String(BACKLOG)]
}
/** `rufh serve`'s default (packages/server/src/adapters/listen.ts `DEFAULT_BACKLOG`). */
const BACKLOG = 4096
const READY = { rufh: /^rufh serving (\S+)/m, tus: /^tus serving (\S+)/m, floor: /^floor serving (\S+)/m }

/** Asks the server's mem-probe for process.memoryUsage() and waits for its answer. */
async function probe(pid, file) {
  await rm(file, { force: true })
  process.kill(pid, 'SIGUSR2')
  for (let i = 0; i < 1200; i++) {
    await sleep(25)
    const text = await readFile(file, 'utf8').catch(() => '')
    if (text.endsWith('done\n')) return JSON.parse(text.split('\n')[0])
  }
  throw new Error(`no memory probe answer from ${pid}`)
}

/**
 * One measurement: a fresh server, N held uploads, verified. `key`: rufh, tus or floor. The last three options only
 * for the bounded version in `npm test` (packages/load/src/held.test.ts).
 */
export async function measure({
  root,
  tmp,
  key,
  protocol,
  n,
  snapshot,
  chunks = CHUNKS,
  intervalMs = INTERVAL_MS,
  rampMs = RAMP_MS,
}) {
  const dir = join(tmp, `held-${key}`)
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  // The last measurement's writes are flushed before this one starts, so that their writeback does not land on this
  // server's CPU (held runs drifted upwards without this: docs/benchmarks.md).
  execFileSync('sync')
  const probeFile = join(tmp, `held-probe-${key}.json`)
  const env = { RUFH_MEM_PROBE: probeFile, ...(snapshot ? { RUFH_HEAP_SNAPSHOT: snapshot } : {}) }
  const server = await startServer(
    ['--import', join(root, 'scripts/bench/mem-probe.mjs'), ...args(root, key, dir)],
    READY[key],
    undefined,
    env,
  )
  try {
    await sleep(300)
    const idle = memoryOf(server.pid).rss
    const overflows0 = tcpExt().ListenOverflows
    const sampler = sampleRss(server.pid)
    const cpu0 = cpuOf(server.pid)
    let plateau
    // Probe at the middle of the plateau: every upload open, none finished.
    const held = new Promise((resolve) => {
      plateau = resolve
    })
    const probed = held.then(async () => {
      await sleep(Math.max(0, (chunks * intervalMs) / 2 - rampMs / 2))
      return probe(server.pid, probeFile)
    })
    probed.catch(() => {})
    const r = await runHeld({
      url: server.url,
      protocol,
      interop: 8,
      uploads: n,
      chunkSize: CHUNK,
      chunks,
      intervalMs,
      rampMs,
      timeoutMs: 300_000,
      onHeld: () => plateau(),
    })
    plateau()
    const cpu1 = cpuOf(server.pid)
    const mem = sampler.stop()
    const usage = await probed.catch(() => undefined)
    const overflows = tcpExt().ListenOverflows - overflows0
    const failures = await verifyHeld(r)
    const bad = r.uploads.filter((u) => u.error)
    if (bad.length) failures.unshift(`${bad.length} uploads failed (first: ${bad[0].error})`)
    return {
      idle,
      peak: Math.max(mem.peak, mem.reset ? mem.hwm : 0),
      cpu: cpu1.total - cpu0.total,
      usage,
      overflows,
      openMs: r.openMs,
      wallMs: r.wallMs,
      completed: r.completed,
      failures,
    }
  } finally {
    await server.stop()
    await retire(dir, tmp)
  }
}

let retired = 0

/**
 * Moves a measurement's upload folder aside, to be removed with `tmp` when the whole run ends, instead of removing it
 * now. On ext4 without a journal (this machine's /tmp), making an inode skips every inode of its block group freed
 * less than 60 s before (`recently_deleted` in fs/ext4/ialloc.c), one buffer lookup each: after a measurement had
 * removed its few thousand files, the next server's file creations cost up to 10× more (3,000 creates after a
 * removal: 569 against 69 ms of CPU), so a server's CPU depended on what ran before it and how long ago, and more
 * for a server that makes two files per upload than for one that makes one (docs/benchmarks.md).
 */
async function retire(dir, tmp) {
  const aside = join(tmp, 'retired')
  await mkdir(aside, { recursive: true })
  await rename(dir, join(aside, String(++retired))).catch(() => rm(dir, { recursive: true, force: true }))
}

const mib = (b) => (b / MiB).toFixed(1)

/** @param {{ root: string, tmp: string, runs: number, log: (s: string) => void }} ctx */
export async function run(ctx) {
  const { root, tmp, log } = ctx
  const runs = Math.max(2, Math.min(ctx.runs, Number(process.env.RUFH_HELD_RUNS ?? 2)))
  const limit = openFilesLimit()
  const need = 2 * Math.max(...NS) + 256
  if (limit < need)
    throw new Error(`open files limit ${limit} < ${need}: raise it first (\`ulimit -n ${need}\`, or prlimit)`)
  /** results[protocol][key][n] = measurements */
  const results = {}
  const failures = []
  for (let i = 0; i < runs; i++) {
    for (const n of NS) {
      for (const protocol of ['tus-v1', 'ietf']) {
        // Alternate the order run by run so that no server always follows the same one.
        const keys = Object.keys(SERVERS).filter((k) => SERVERS[k].protocols.includes(protocol))
        if (i % 2) keys.reverse()
        for (const key of keys) {
          const m = await measure({ root, tmp, key, protocol, n })
          results[protocol] ??= {}
          results[protocol][key] ??= {}
          results[protocol][key][n] ??= []
          results[protocol][key][n].push(m)
          const u = m.usage
          log(
            `${protocol.padEnd(6)} ${key.padEnd(5)} N=${String(n).padStart(4)} run ${i + 1}: idle ${mib(m.idle)} MiB, ` +
              `peak ${mib(m.peak)} MiB, CPU ${m.cpu.toFixed(2)} s, open in ${(m.openMs / 1000).toFixed(1)} s, ` +
              `${m.completed}/${n} completed, overflows ${m.overflows}` +
              (u
                ? `; heapUsed ${mib(u.heapUsed)} heapTotal ${mib(u.heapTotal)} external ${mib(u.external)} arrayBuffers ${mib(u.arrayBuffers)}`
                : '') +
              (m.failures.length ? `; FAIL ${m.failures[0]}` : ''),
          )
          if (m.failures.length) failures.push(`${protocol} ${key} N=${n} run ${i + 1}: ${m.failures[0]}`)
        }
      }
    }
  }
  return summarize(results, runs, failures, limit)
}

export function summarize(results, runs, failures, limit) {
  const med = (ms, f) => median(ms.map(f))
  const rows = [
    [
      'protocol',
      'server',
      ...NS.map((n) => `peak RSS N=${n} (MiB)`),
      'idle RSS (MiB)',
      'KiB / upload (300→3000)',
      'CPU s N=1000',
      'CPU s N=3000',
      'heapUsed / external / arrayBuffers N=1000 (MiB)',
      'listen overflows N=3000 (per run)',
    ],
  ]
  const stats = {}
  for (const protocol of Object.keys(results)) {
    for (const key of Object.keys(results[protocol])) {
      const byN = results[protocol][key]
      const peak = (n) => (byN[n] ? med(byN[n], (m) => m.peak) : Number.NaN)
      const cpu = (n) => (byN[n] ? med(byN[n], (m) => m.cpu) : Number.NaN)
      const lo = Math.min(...NS.filter((n) => n >= 300))
      const hi = Math.max(...NS)
      const slope = (peak(hi) - peak(lo)) / (hi - lo) / 1024
      const u1000 = byN[1000]?.map((m) => m.usage).filter(Boolean) ?? []
      const cat = (f) => (u1000.length ? mib(median(u1000.map((u) => u[f]))) : '–')
      stats[`${protocol}/${key}`] = { peak, cpu, slope }
      rows.push([
        protocol === 'ietf' ? 'interop 8' : 'tus 1.0',
        SERVERS[key].name,
        ...NS.map((n) => mib(peak(n))),
        mib(med(Object.values(byN).flat(), (m) => m.idle)),
        slope.toFixed(1),
        cpu(1000).toFixed(2),
        cpu(hi).toFixed(2),
        `${cat('heapUsed')} / ${cat('external')} / ${cat('arrayBuffers')}`,
        (byN[hi] ?? []).map((m) => m.overflows).join(', '),
      ])
    }
  }
  const notes = [
    `${runs} runs; in each, for every N and protocol, one fresh server process per server, in alternating order; medians.`,
    `Open files: the soft limit of the benchmark process is ${limit} (\`/proc/self/limits\`), inherited by the servers it starts; the suite refuses to run below 2 × max N + 256 (one socket and one file per upload). Raise it with \`ulimit -n\` (up to the hard limit) or \`prlimit --nofile\`.`,
    'Peak RSS = max(VmRSS sampled every 50 ms, VmHWM after resetting it) over the held phase. CPU = utime + stime of the server process over the held phase (from the first creation to the last response). memoryUsage() is read at the middle of the plateau (every upload open).',
  ]
  const ratio = (a, b, f) => (stats[a] && stats[b] ? f(stats[a]) / f(stats[b]) : Number.NaN)
  for (const protocol of Object.keys(results)) {
    const p = (k) => `${protocol}/${k}`
    const label = protocol === 'ietf' ? 'interop 8' : 'tus 1.0'
    const peak1000 = (s) => s.peak(1000)
    const vs = [
      `peak RSS N=1000 ${ratio(p('rufh'), p('floor'), peak1000).toFixed(2)}× the floor's (target ≤ 1.15×)`,
      stats[p('tus')] ? `${ratio(p('rufh'), p('tus'), peak1000).toFixed(2)}× @tus/server's (target ≤ 0.65×)` : '',
      `per-upload slope ${ratio(p('rufh'), p('floor'), (s) => s.slope).toFixed(2)}× the floor's (target ≤ 1.2×)`,
      `CPU N=1000 ${ratio(p('rufh'), p('floor'), (s) => s.cpu(1000)).toFixed(2)}× / N=3000 ${ratio(p('rufh'), p('floor'), (s) => s.cpu(3000)).toFixed(2)}× the floor's (target ≤ 1.3×)`,
    ].filter(Boolean)
    notes.push(`${label}, rufh: ${vs.join('; ')}.`)
  }
  notes.push(
    failures.length
      ? `**Failures**: ${failures.join('; ')}`
      : 'Every upload completed and verified (GET: length and sha256).',
  )
  return { rows, notes }
}
