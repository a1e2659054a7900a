/**
 * Bench suite `tus` (issue 6): 100 concurrent uploads of 8 MiB over tus 1.0, the same load generator (`rufh load`,
 * careful creation then one PATCH per upload), against `rufh serve`, against @tus/server + @tus/file-store, and
 * against a minimal node:http server that only pipes bodies to files (`tus-floor-server.mjs`: the memory floor of
 * any node:http server under this load), each in its own process; targets alternate run by run; medians. Records
 * aggregate goodput, p99 creation and PATCH latency, and each server's peak RSS during the run. Every upload is
 * verified by GET after the timed phase.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { runLoad } from '../../packages/load/dist/index.js'
import { cpuOf, emptyDir, MiB, median, sampleRss, startServer } from './lib.mjs'

export const title = 'tus 1.0: 100 concurrent 8 MiB uploads, `rufh serve` vs @tus/server'

const USERS = 100
const UPLOAD = 8 * MiB

/** @param {{ root: string, tmp: string, runs: number, log: (s: string) => void }} ctx */
export async function run(ctx) {
  const { root, tmp, runs, log } = ctx
  const dirs = { rufh: join(tmp, 'tus-rufh'), tus: join(tmp, 'tus-tus'), floor: join(tmp, 'tus-floor') }
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true })
  const servers = {
    rufh: await startServer(
      [join(root, 'packages/cli/dist/bin.js'), 'serve', '--port', '0', '--dir', dirs.rufh, '--log-level', 'warn'],
      /^rufh serving (\S+)/m,
    ),
    tus: await startServer(
      [join(root, 'packages/load/bench/tus-node-server.mjs'), '0', dirs.tus],
      /^tus serving (\S+)/m,
    ),
    floor: await startServer([join(root, 'scripts/bench/tus-floor-server.mjs'), dirs.floor], /^floor serving (\S+)/m),
  }
  const names = { rufh: '`rufh serve`', tus: '@tus/server + FileStore', floor: 'node:http pipe-to-file (floor)' }
  /** @type {Record<string, { goodput: number[], creation: number[], patch: number[], rss: number[] }>} */
  const res = {}
  const failures = []
  const load = (key, seed) =>
    runLoad({
      url: servers[key].url,
      protocol: 'tus-v1',
      model: { kind: 'closed', users: USERS, uploadsPerUser: 1 },
      size: { kind: 'fixed', size: UPLOAD },
      seed,
      verify: { kind: 'get' },
    })
  try {
    // One untimed run per server first, the same for all three: a fresh server process pays JIT compilation and heap
    // growth in its first run, and the load generator in this process warms up in whichever run comes first. Without
    // it, run 1 was the slowest of five for every server (rufh 481 vs 577–592 MB/s, @tus/server 336 vs 359–384, the
    // floor 707 vs 758–778; docs/benchmarks.md): a fixed cost, so it weighs most on the fastest run.
    for (const key of ['tus', 'rufh', 'floor']) {
      const cpu0 = cpuOf(servers[key].pid).total
      const r = await load(key, 0)
      const cpu = cpuOf(servers[key].pid).total - cpu0
      if (!r.ok || r.uploads.verified !== USERS)
        failures.push(`${names[key]} warm-up: ${r.uploads.verified}/${USERS} verified`)
      log(
        `${names[key].padEnd(30)} warm-up: ${(r.throughput.goodputBytesPerSecond / 1e6).toFixed(1)} MB/s, server CPU ${cpu.toFixed(2)} s (not counted)`,
      )
      await emptyDir(dirs[key])
    }
    for (let i = 0; i < runs; i++) {
      for (const key of ['tus', 'rufh', 'floor']) {
        const s = servers[key]
        const sampler = sampleRss(s.pid)
        const cpu0 = cpuOf(s.pid).total
        const r = await load(key, i + 1)
        const mem = sampler.stop()
        // Server CPU over the run, verification GETs included (they read every byte back once).
        const cpu = cpuOf(s.pid).total - cpu0
        if (!r.ok || r.uploads.verified !== USERS)
          failures.push(`${names[key]} run ${i + 1}: ${r.uploads.verified}/${USERS} verified`)
        res[key] ??= { goodput: [], creation: [], patch: [], rss: [], cpu: [] }
        res[key].cpu.push(cpu / ((USERS * UPLOAD) / (1024 * MiB)))
        res[key].goodput.push(r.throughput.goodputBytesPerSecond / 1e6)
        res[key].creation.push(r.latency.creation.p99)
        res[key].patch.push(r.latency.completion.p99)
        res[key].rss.push(Math.max(mem.peak, mem.reset ? mem.hwm : 0) / MiB)
        log(
          `${names[key].padEnd(30)} run ${i + 1}: ${(r.throughput.goodputBytesPerSecond / 1e6).toFixed(1)} MB/s, ` +
            `peak RSS ${(mem.peak / MiB).toFixed(0)} MiB, server CPU ${cpu.toFixed(2)} s, ${r.uploads.verified}/${USERS} verified`,
        )
        await emptyDir(dirs[key])
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()))
  }
  const m = (k, f) => median(res[k][f])
  const rows = [
    [
      'server',
      'goodput MB/s (median)',
      'min–max',
      'p99 creation ms',
      'p99 PATCH ms',
      'peak RSS MiB',
      'server CPU s / GiB',
    ],
  ]
  for (const k of ['rufh', 'tus', 'floor']) {
    const g = res[k].goodput
    rows.push([
      names[k],
      m(k, 'goodput').toFixed(1),
      `${Math.min(...g).toFixed(1)}–${Math.max(...g).toFixed(1)}`,
      m(k, 'creation').toFixed(1),
      m(k, 'patch').toFixed(1),
      m(k, 'rss').toFixed(0),
      m(k, 'cpu').toFixed(2),
    ])
  }
  rows.push([
    'rufh / @tus/server',
    `${(m('rufh', 'goodput') / m('tus', 'goodput')).toFixed(2)}× (target ≥ 1.5×)`,
    '',
    `${(m('rufh', 'creation') / m('tus', 'creation')).toFixed(2)}× (target ≤ 1×)`,
    `${(m('rufh', 'patch') / m('tus', 'patch')).toFixed(2)}× (target ≤ 1×)`,
    `${(m('rufh', 'rss') / m('tus', 'rss')).toFixed(2)}× (target ≤ 0.5×)`,
    `${(m('rufh', 'cpu') / m('tus', 'cpu')).toFixed(2)}×`,
  ])
  rows.push([
    'floor / @tus/server',
    `${(m('floor', 'goodput') / m('tus', 'goodput')).toFixed(2)}×`,
    '',
    `${(m('floor', 'creation') / m('tus', 'creation')).toFixed(2)}×`,
    `${(m('floor', 'patch') / m('tus', 'patch')).toFixed(2)}×`,
    `${(m('floor', 'rss') / m('tus', 'rss')).toFixed(2)}×`,
    `${(m('floor', 'cpu') / m('tus', 'cpu')).toFixed(2)}×`,
  ])
  const notes = [
    `${runs} timed runs per server, alternating, after one untimed warm-up run per server (the same for all three); each run: ${USERS} users × 1 upload of ${UPLOAD / MiB} MiB (careful creation, then one PATCH), seed = run number.`,
    'The floor server speaks only the tus subset the load generator uses and checks nothing but the offset; it is not a competitor but the RSS any node:http server reaches under this load (body chunks copied by the HTTP parser, freed by V8 only at its next GC).',
    'Goodput = verified payload bytes / wall time of the load phase (verification by GET is not timed). Peak RSS = the largest of VmRSS samples (50 ms) and VmHWM over the run, per server process.',
    "Client and both servers share the machine's 2 cores; compare within one run of the suite only.",
    'Server CPU = utime + stime of the server process (/proc) over the run including the verification GETs, per GiB of payload received.',
    `Goodput per run (MB/s): ${['rufh', 'tus', 'floor'].map((k) => `${k} ${res[k].goodput.map((g) => g.toFixed(0)).join(', ')}`).join('; ')}; rufh / @tus/server per run: ${res.rufh.goodput.map((g, i) => (g / res.tus.goodput[i]).toFixed(2)).join(', ')} (target ≥ 1.5× in every run).`,
    failures.length ? `**Failures**: ${failures.join('; ')}` : 'Every upload completed and verified.',
  ]
  return { rows, notes }
}
