/**
 * The held suite's bounded version (issue 17): `npm run bench -- held` measures N slow uploads held open at once;
 * here its own measurement function (scripts/bench/held.mjs `measure`: a fresh server process with the memory probe,
 * N = 200 trickling uploads, RSS and CPU read from /proc, every upload verified by GET) runs once per server and
 * protocol with short bodies, to check that it works and that every upload completes. No timing is asserted.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const LIMIT_MS = 60_000
const N = 200

interface Measurement {
  idle: number
  peak: number
  cpu: number
  completed: number
  failures: string[]
  usage: { heapUsed: number; external: number; arrayBuffers: number } | undefined
}
type Measure = (o: Record<string, unknown>) => Promise<Measurement>

const tmps: string[] = []
after(async () => {
  for (const d of tmps) await rm(d, { recursive: true, force: true })
})

async function measure(key: string, protocol: string): Promise<Measurement> {
  const suite = (await import(join(root, 'scripts/bench/held.mjs'))) as { measure: Measure }
  const tmp = await mkdtemp(join(tmpdir(), 'rufh-held-'))
  tmps.push(tmp)
  return suite.measure({ root, tmp, key, protocol, n: N, chunks: 4, intervalMs: 200, rampMs: 500 })
}

for (const [key, protocol] of [
  ['rufh', 'tus-v1'],
  ['rufh', 'ietf'],
  ['floor', 'tus-v1'],
  ['floor', 'ietf'],
  ['tus', 'tus-v1'],
] as const) {
  test(`held: ${N} trickling ${protocol} uploads into ${key}, every one completed and verified`, {
    timeout: LIMIT_MS,
  }, async () => {
    const m = await measure(key, protocol)
    assert.deepEqual(m.failures, [])
    assert.equal(m.completed, N)
    // The measurements are there (their size is the benchmark's business, not the test's).
    assert.ok(m.peak >= m.idle && m.idle > 0, `idle ${m.idle}, peak ${m.peak}`)
    assert.ok(m.cpu > 0)
    assert.ok(m.usage && m.usage.heapUsed > 0, 'the memory probe answered')
  })
}
