#!/usr/bin/env node
/**
 * Where a held upload's memory goes (issue 17): `node scripts/bench/held-account.mjs [N=1000] [protocol=tus-v1]`.
 * For `rufh serve` and the node:http floor, one held run each (the held suite's `measure`), with a heap snapshot
 * taken at the middle of the plateau; prints process.memoryUsage() by category and the live heap grouped by
 * constructor (self size, count, bytes per held upload). The snapshot forces a full GC first, so it shows what is
 * live, not garbage waiting for collection: the difference to peak RSS is garbage, fragmentation and buffers
 * outside the V8 heap.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { measure } from './held.mjs'
import { MiB } from './lib.mjs'

const n = Number(process.argv[2] ?? 1000)
const protocol = process.argv[3] ?? 'tus-v1'
const root = new URL('../..', import.meta.url).pathname
const tmp = mkdtempSync(join(tmpdir(), 'rufh-held-account-'))
process.once('exit', () => rmSync(tmp, { recursive: true, force: true }))

/** Live heap by (type, constructor name): [bytes, count]. */
function heapByConstructor(file) {
  const snap = JSON.parse(readFileSync(file, 'utf8'))
  const meta = snap.snapshot.meta
  const fields = meta.node_fields
  const types = meta.node_types[0]
  const width = fields.length
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f))
  const groups = new Map()
  const nodes = snap.nodes
  let total = 0
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + iType]]
    let name = snap.strings[nodes[i + iName]]
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '(strings)'
    else if (type === 'code') name = '(code)'
    else if (type === 'hidden' || type === 'array' || type === 'object shape') name = `(${type}) ${name.slice(0, 40)}`
    else if (type === 'closure') name = `(closure) ${name || 'anonymous'}`
    const key = type === 'object' || type === 'native' ? `${name}` : name
    const size = nodes[i + iSize]
    total += size
    const g = groups.get(key) ?? [0, 0]
    g[0] += size
    g[1]++
    groups.set(key, g)
  }
  return { groups, total }
}

const results = {}
for (const key of ['floor', 'rufh']) {
  const snapshot = join(tmp, `${key}.heapsnapshot`)
  const m = await measure({ root, tmp, key, protocol, n, snapshot })
  if (m.failures.length) throw new Error(`${key}: ${m.failures[0]}`)
  results[key] = { m, heap: heapByConstructor(snapshot) }
  rmSync(snapshot, { force: true })
  const u = m.usage
  process.stdout.write(
    `${key}: N=${n} ${protocol}, idle RSS ${(m.idle / MiB).toFixed(1)} MiB, peak ${(m.peak / MiB).toFixed(1)} MiB; at the plateau ` +
      `rss ${(u.rss / MiB).toFixed(1)}, heapTotal ${(u.heapTotal / MiB).toFixed(1)}, heapUsed ${(u.heapUsed / MiB).toFixed(1)}, ` +
      `external ${(u.external / MiB).toFixed(1)} (arrayBuffers ${(u.arrayBuffers / MiB).toFixed(1)}) MiB; live heap after GC ` +
      `${(results[key].heap.total / MiB).toFixed(1)} MiB\n`,
  )
}
const names = new Set([...results.rufh.heap.groups.keys(), ...results.floor.heap.groups.keys()])
const rows = [...names].map((k) => {
  const r = results.rufh.heap.groups.get(k) ?? [0, 0]
  const f = results.floor.heap.groups.get(k) ?? [0, 0]
  return { k, r, f, d: r[0] - f[0] }
})
rows.sort((a, b) => Math.abs(b.d) - Math.abs(a.d))
process.stdout.write('\nlive heap by constructor, rufh − floor (bytes per held upload; count per upload):\n')
for (const { k, r, f, d } of rows.slice(0, 40))
  process.stdout.write(
    `${(d / n).toFixed(0).padStart(7)} B/upload  rufh ${(r[0] / n).toFixed(0).padStart(6)} B × ${(r[1] / n).toFixed(2).padStart(6)}   floor ${(f[0] / n).toFixed(0).padStart(6)} B × ${(f[1] / n).toFixed(2).padStart(6)}   ${k}\n`,
  )
