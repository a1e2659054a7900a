#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/**/*.test.js, examples/*/dist/**/*.test.js) with node's test runner.
// Node 20 has no glob support in `node --test`, so the files are listed here.
// Services some tests need (redis, radosgw, chromium) are started by those tests' own fixtures.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const filter = process.argv[2]
const files = []
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p)
    else if (name.endsWith('.test.js')) files.push(p)
  }
}
// Libraries under packages/, and the framework examples under examples/ (each example's test runs it).
for (const top of ['packages', 'examples']) {
  for (const pkg of readdirSync(join(root, top))) {
    const dist = join(root, top, pkg, 'dist')
    try {
      if (statSync(dist).isDirectory()) walk(dist)
    } catch {}
  }
}
// tsc -b never deletes outputs: a test moved or removed in src/ leaves its old dist/ copy behind. Only compiled tests
// whose source still exists (packages/P/dist/X.test.js <- packages/P/src/X.test.ts) are run.
const current = files.filter((f) => {
  const [pkg, ...rest] = relative(join(root, 'packages'), f).split('/')
  return existsSync(join(root, 'packages', pkg, 'src', ...rest.slice(1)).replace(/\.js$/, '.ts'))
})
const stale = files.length - current.length
if (stale > 0) console.error(`run-tests: skipping ${stale} compiled test file(s) whose source is gone`)
const selected = filter ? current.filter((f) => f.includes(filter)) : current
if (selected.length === 0) {
  console.error('no test files found')
  process.exit(1)
}
// Every test of every file has a timeout (the files' own, or this default): a hung peer fails a test instead of
// stalling the run.
const TEST_TIMEOUT_MS = 180_000
const r = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', `--test-timeout=${TEST_TIMEOUT_MS}`, ...selected],
  { stdio: 'inherit' },
)
process.exit(r.status ?? 1)
