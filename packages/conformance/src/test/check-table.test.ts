import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { normalizeTables, readmePath, updatedReadme } from '../check-table.js'
import { allChecks, checks, tusChecks } from '../registry.js'

test('the README check table matches the registry (node dist/check-table.js --write)', () => {
  const text = readFileSync(readmePath(), 'utf8')
  assert.equal(normalizeTables(text), normalizeTables(updatedReadme(text)))
})

test('check IDs are unique; every check has a source, versions and a title', () => {
  const ids = allChecks.map((c) => c.id)
  assert.equal(new Set(ids).size, ids.length)
  for (const c of checks) {
    assert.ok(c.source.length > 0 && c.versions.length > 0 && c.title, c.id)
    for (const s of c.source) assert.match(s.draft, /^-\d\d$/, c.id)
  }
  assert.ok(checks.length >= 91)
  for (const c of tusChecks) {
    assert.match(c.id, /^T-\d\d$/, c.id)
    assert.ok(c.source.length > 0 && c.title, c.id)
    for (const s of c.source) assert.equal(s.draft, 'tus 1.0.0', c.id)
  }
  assert.ok(tusChecks.length >= 28)
})
