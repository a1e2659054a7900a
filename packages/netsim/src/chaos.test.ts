/**
 * The chaos suite (issue 13), run by chaos.test.helper.ts: seeded uploads in interop 6, 8 and tus through `rufh
 * netsim` while `rufh serve` is killed with kill -9 and restarted; every upload completes byte-exact and
 * downloadable, and no offset ever goes down. Each oracle is shown to fail on a deliberately broken server
 * (chaos-mutant.test.helper.ts). `RUFH_CHAOS_SEED=S` replays a seed.
 */
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { children, runChaos } from './chaos.test.helper.js'

const LIMIT_MS = 150_000
const SEEDS = process.env['RUFH_CHAOS_SEED'] ? [Number(process.env['RUFH_CHAOS_SEED'])] : [11]
const MUTANT = fileURLToPath(new URL('./chaos-mutant.test.helper.js', import.meta.url))

after(() => {
  for (const c of children) c.kill('SIGKILL')
})

describe('chaos: uploads through rufh netsim while rufh serve is killed', { timeout: LIMIT_MS }, () => {
  for (const seed of SEEDS) {
    test(`seed ${seed}: 15 uploads (interop 6, 8, tus), 3 × kill -9, every one complete and byte-exact`, async (t) => {
      const r = await runChaos(seed)
      t.diagnostic(`faults ${JSON.stringify(r.faults)}; ${r.spanning} uploads still running at the first kill`)
      assert.deepEqual(r.broken, [])
      // The faults happened: uploads were running at a kill, and netsim cut, reset and dropped requests.
      assert.ok(r.spanning >= 3, `only ${r.spanning} uploads were running at the first kill`)
      for (const toxic of ['cut', 'reset', 'drop'])
        assert.ok(
          Object.keys(r.faults).some((k) => k.startsWith(`${toxic}:`)),
          `no '${toxic}' fault`,
        )
    })
  }
})

describe('each chaos oracle can fail', { timeout: LIMIT_MS }, () => {
  const cases: [string, RegExp][] = [
    ['loses-bytes', /offset went down|bytes differ|failed/],
    ['forgets-completion', /not downloadable \(stuck\)/],
  ]
  for (const [mutant, expected] of cases)
    test(`a server that ${mutant.replace('-', ' ')} is caught`, async () => {
      const r = await runChaos(SEEDS[0] ?? 11, { script: MUTANT, args: [mutant] })
      assert.ok(
        r.broken.some((b) => expected.test(b)),
        `expected ${expected}, got: ${r.broken.slice(0, 5).join(' | ') || 'nothing'}`,
      )
    })
})
