/** Proof that the suite can fail: every check fails against at least one mutant server. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { allChecks, checkById } from '../registry.js'
import { runConformance } from '../runner.js'
import { versionName } from '../types.js'
import { mutants, startTarget } from './mutants/index.js'

test('every check (IETF and tus) is killed by some mutant', () => {
  const killed = new Set(mutants.flatMap((m) => m.kills))
  const missing = allChecks.map((c) => c.id).filter((id) => !killed.has(id))
  assert.deepEqual(missing, [], `checks no mutant kills: ${missing.join(', ')}`)
  for (const id of killed) assert.ok(checkById(id), `a mutant names an unknown check ${id}`)
})

for (const m of mutants) {
  test(`mutant ${m.name} (${m.breaks}) fails ${m.kills.join(', ')}`, async () => {
    const target = await startTarget(m)
    try {
      const failed = new Map<string, string>()
      const ran = new Set<string>()
      for (const run of m.runs) {
        const report = await runConformance({
          url: target.url,
          ...(run === 'tus'
            ? { protocols: ['tus'] as const }
            : { interop: [run.interop], ...(run.draft ? { drafts: [run.draft] } : {}) }),
          only: m.kills,
          requestTimeoutMs: 4000,
        })
        for (const r of report.versions.flatMap((x) => x.results)) {
          if (r.status === 'skip') continue
          ran.add(r.id)
          if (r.status === 'fail') failed.set(r.id, `${versionName(r)}: ${r.message}`)
        }
      }
      const runs = m.runs.map((r) => (r === 'tus' ? 'tus' : r.interop)).join(', ')
      for (const id of m.kills) {
        assert.ok(ran.has(id), `${id} did not run for ${m.name} (${runs})`)
        assert.ok(failed.has(id), `${id} did not fail against the mutant ${m.name}`)
      }
    } finally {
      await target.close()
    }
  })
}
