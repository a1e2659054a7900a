/** Proof that the suite can fail: every check fails against at least one mutant server. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { mutants, startTarget } from './mutants/index.js'
import { checkById, checks } from './registry.js'
import { runConformance } from './runner.js'

test('every check is killed by some mutant', () => {
  const killed = new Set(mutants.flatMap((m) => m.kills))
  const missing = checks.map((c) => c.id).filter((id) => !killed.has(id))
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
          interop: [run.interop],
          ...(run.draft ? { drafts: [run.draft] } : {}),
          only: m.kills,
          requestTimeoutMs: 4000,
        })
        for (const r of report.versions.flatMap((x) => x.results)) {
          ran.add(r.id)
          if (r.status === 'fail') failed.set(r.id, `I${r.interop}: ${r.message}`)
        }
      }
      for (const id of m.kills) {
        assert.ok(ran.has(id), `${id} did not run for ${m.name} (versions ${m.runs.map((r) => r.interop).join(', ')})`)
        assert.ok(failed.has(id), `${id} did not fail against the mutant ${m.name}`)
      }
    } finally {
      await target.close()
    }
  })
}
