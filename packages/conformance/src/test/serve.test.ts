/** The whole suite against `rufh serve`: every check passes (MAY checks observe the behaviour) on every version. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { allChecks } from '../registry.js'
import { exitCodeOf, runConformance } from '../runner.js'
import { type CheckResult, versionName } from '../types.js'
import { MIN_SIZE_LIMITS, startTarget } from './mutants/index.js'

test('rufh serve passes every check of every interop version (default drafts, then -04, -06 and -09) and of tus 1.0.0', async () => {
  const target = await startTarget()
  try {
    const main = await runConformance({ url: target.url })
    assert.deepEqual(
      main.detection.filter((d) => !d.supported),
      [],
      'every interop version 3-10 and tus 1.0.0 are detected',
    )
    assert.deepEqual(
      main.versions.map((v) => versionName(v)).slice(-1),
      ['tus 1.0.0'],
      'tus is tested alongside the interop versions',
    )
    const extra = await runConformance({ url: target.url, drafts: ['-04', '-06', '-09'] })
    // The min-size threshold with a min-size announced (the suite's limits have none).
    const small = await startTarget(undefined, { limits: MIN_SIZE_LIMITS })
    const withMin = await runConformance({ url: small.url, only: ['N9-27'] }).finally(() => small.close())
    assert.deepEqual(
      withMin.versions.flatMap((v) => v.results.map((r) => `${r.id} ${r.status}`)),
      ['N9-27 pass', 'N9-27 pass'],
    )
    const results: CheckResult[] = [...main.versions, ...extra.versions, ...withMin.versions].flatMap((v) => v.results)
    const bad = results.filter((r) => r.status !== 'pass')
    assert.deepEqual(
      bad.map((r) => `${versionName(r)} ${r.id} ${r.status}: ${r.message}`),
      [],
    )
    assert.equal(exitCodeOf(main), 0)
    const passed = new Set(results.map((r) => r.id))
    const never = allChecks.map((c) => c.id).filter((id) => !passed.has(id))
    assert.deepEqual(never, [], 'every check ran and passed at least once')
  } finally {
    await target.close()
  }
})
