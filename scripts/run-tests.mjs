#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/**/*.test.js, examples/*/dist/**/*.test.js) with node's test runner.
// Node 20 has no glob support in `node --test`, so the files are listed here.
// Services some tests need (redis, radosgw, chromium) are started by those tests' own fixtures.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

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
const selected = filter ? files.filter((f) => f.includes(filter)) : files
if (selected.length === 0) {
  console.error('no test files found')
  process.exit(1)
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...selected], { stdio: 'inherit' })
process.exit(r.status ?? 1)
