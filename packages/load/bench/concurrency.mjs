/**
 * Bench suite `concurrency` (for scripts/bench.mjs: `export * from '../../packages/load/bench/concurrency.mjs'` in
 * scripts/bench/concurrency.mjs, and add 'concurrency' to SUITES). The same tus 1.0 workload through `rufh load`
 * against `rufh serve` and @tus/server (+ FileStore), and the IETF draft (interop 9) against `rufh serve`, at 1, 4 and
 * 16 concurrent users; each user uploads 4 MiB files (careful creation, then one PATCH) until ~128 MiB per run.
 * Servers run in their own processes; targets alternate run by run; medians. Every upload is verified by GET.
 */
import { mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { MiB, median, startServer } from '../../../scripts/bench/lib.mjs'
import { runLoad } from '../dist/index.js'

export const title = 'Concurrent uploads: `rufh serve` vs @tus/server (`rufh load`)'

const USERS = [1, 4, 16]
const UPLOAD = 4 * MiB
const TOTAL = 128 * MiB

async function empty(dir) {
  for (const f of await readdir(dir)) await rm(join(dir, f), { recursive: true, force: true })
}

/** @param {{ root: string, tmp: string, runs: number, log: (s: string) => void }} ctx */
export async function run(ctx) {
  const { root, tmp, runs, log } = ctx
  const rufhDir = join(tmp, 'load-rufh')
  const tusDir = join(tmp, 'load-tus')
  await mkdir(rufhDir, { recursive: true })
  await mkdir(tusDir, { recursive: true })
  const rufh = await startServer(
    [join(root, 'packages/cli/dist/bin.js'), 'serve', '--port', '0', '--dir', rufhDir, '--log-level', 'warn'],
    /^rufh serving (\S+)/m,
  )
  const tus = await startServer(
    [join(root, 'packages/load/bench/tus-node-server.mjs'), '0', tusDir],
    /^tus serving (\S+)/m,
  )
  const targets = [
    { name: '`rufh serve`, tus 1.0', url: rufh.url, dir: rufhDir, protocol: 'tus-v1' },
    { name: '@tus/server + FileStore, tus 1.0', url: tus.url, dir: tusDir, protocol: 'tus-v1' },
    { name: '`rufh serve`, IETF interop 9', url: rufh.url, dir: rufhDir, protocol: 'ietf', interop: 9 },
  ]
  const rows = [
    [
      'users',
      'server',
      'goodput MB/s (median)',
      'min–max',
      'creation p50 / p99 ms',
      'upload PATCH p50 / p99 ms',
      '× @tus/server',
    ],
  ]
  const failures = []
  try {
    for (const users of USERS) {
      const perUser = Math.max(1, Math.round(TOTAL / UPLOAD / users))
      const results = new Map(targets.map((t) => [t, []]))
      for (let i = 0; i < runs; i++) {
        for (const t of targets) {
          const r = await runLoad({
            url: t.url,
            protocol: t.protocol,
            ...(t.interop ? { interop: t.interop } : {}),
            model: { kind: 'closed', users, uploadsPerUser: perUser },
            size: { kind: 'fixed', size: UPLOAD },
            seed: i + 1,
            verify: { kind: 'get' },
          })
          if (!r.ok) failures.push(`${t.name}, ${users} users, run ${i + 1}: ${r.failures[0]?.reason ?? 'not ok'}`)
          results.get(t).push(r)
          log(
            `${String(users).padStart(2)} users  ${t.name.padEnd(34)} ${(r.throughput.goodputBytesPerSecond / 1e6).toFixed(1).padStart(7)} MB/s` +
              `  ${r.uploads.verified}/${r.uploads.started} verified`,
          )
          await empty(t.dir)
        }
      }
      const goodput = (t) => results.get(t).map((r) => r.throughput.goodputBytesPerSecond / 1e6)
      const base = median(goodput(targets[1]))
      for (const t of targets) {
        const rs = results.get(t)
        const g = goodput(t)
        const lat = (p, k) => median(rs.map((r) => r.latency[p][k])).toFixed(1)
        rows.push([
          String(users),
          t.name,
          median(g).toFixed(1),
          `${Math.min(...g).toFixed(1)}–${Math.max(...g).toFixed(1)}`,
          `${lat('creation', 'p50')} / ${lat('creation', 'p99')}`,
          `${lat('completion', 'p50')} / ${lat('completion', 'p99')}`,
          (median(g) / base).toFixed(2),
        ])
      }
    }
  } finally {
    await Promise.all([rufh.stop(), tus.stop()])
  }
  const notes = [
    `${runs} runs per target and user count, alternating targets; each run uploads ${TOTAL / MiB} MiB in ${UPLOAD / MiB} MiB ` +
      `files (careful creation, then one PATCH), seed = run number; every upload verified by GET (not timed).`,
    'Goodput = verified payload bytes / wall time of the load phase. Latency percentiles are medians over runs.',
    "Client (`rufh load`) and servers share the machine's cores; compare within one run of the suite only.",
    failures.length ? `**Failures**: ${failures.join('; ')}` : 'Every upload completed and verified.',
  ]
  return { rows, notes }
}
