/**
 * The fuzz suite (issue 13): seeded random and mutated requests against `rufh serve`, over raw HTTP/1.1 sockets and
 * h2c, in both protocols and every procedure (kit/fuzz/requests.ts). Oracles: no crash, no 5xx, a problem body on
 * every error, nothing written outside the store, completed uploads unchanged, memory bounded. A violation names its
 * seed and request index: `RUFH_FUZZ_SEED=S` replays a seed; a request that finds a fault becomes a regression test
 * (hostile-input.test.ts). `RUFH_FUZZ_COUNT` scales the number of requests.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { fuzz } from './kit/fuzz/run.js'
import { send } from './kit/index.js'
import { serveChildren, spawnServe } from './kit/serve.js'

const LIMIT_MS = 120_000
const SEEDS = process.env['RUFH_FUZZ_SEED'] ? [Number(process.env['RUFH_FUZZ_SEED'])] : [1, 2]
const COUNT = Number(process.env['RUFH_FUZZ_COUNT'] ?? 250)

after(() => {
  for (const c of serveChildren) c.kill('SIGKILL')
})

function rssOf(pid: number | undefined): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m?.[1] ?? 0) * 1024
}

describe('fuzz: rufh serve under seeded hostile requests', { timeout: LIMIT_MS }, () => {
  for (const seed of SEEDS) {
    test(`seed ${seed}: ${COUNT} HTTP/1.1 and ${Math.round(COUNT / 3)} h2c requests break no oracle`, async (t) => {
      const root = await mkdtemp(join(tmpdir(), 'rufh-fuzz-'))
      const store = join(root, 'store')
      await mkdir(store)
      const srv = await spawnServe(store, ['--max-size', '1MB', '--head-timeout', '2', '--idle-timeout', '2'], {
        cwd: root,
      })
      try {
        const port = Number(new URL(srv.url).port)
        const report = await fuzz(
          {
            port,
            base: '/files/',
            store,
            root,
            alive: async () =>
              srv.child.exitCode === null && (await send(srv.url, { method: 'OPTIONS' })).status === 204,
            rss: () => rssOf(srv.child.pid),
          },
          { seed, http1: COUNT, h2c: Math.round(COUNT / 3) },
        )
        t.diagnostic(
          `statuses ${JSON.stringify(report.statuses)}, server memory +${(report.rssGrowth / 2 ** 20).toFixed(1)} MiB`,
        )
        const shown = report.violations
          .slice(0, 10)
          .map((v) => `${v.oracle} (seed ${v.seed} #${v.index} ${v.protocol}): ${v.detail}`)
        assert.deepEqual(shown, [], `statuses ${JSON.stringify(report.statuses)}`)
        // The requests reached the procedures: successes and refusals of several kinds, not only one error.
        const kinds = Object.keys(report.statuses).filter((k) => k !== 'none')
        assert.ok(kinds.length >= 6, `statuses ${JSON.stringify(report.statuses)}`)
        assert.ok(
          Object.keys(report.statuses).some((k) => k.startsWith('2')),
          'some requests succeeded',
        )
      } finally {
        srv.child.kill('SIGKILL')
        await rm(root, { recursive: true, force: true })
      }
    })
  }
})
