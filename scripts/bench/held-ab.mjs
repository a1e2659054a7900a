#!/usr/bin/env node
/**
 * Before/after for the held suite (issue 17): `node scripts/bench/held-ab.mjs BASE [ROUNDS=2] [N=1000] [PROTOCOLS=ietf,tus-v1]`.
 * BASE is another checkout of this repository, built (`npx tsc -b`), with its own node_modules: the "before". Each
 * round measures, per protocol, BASE's `rufh serve`, this checkout's, and the node:http floor, each in a fresh
 * process (the held suite's `measure`), in alternating order; prints every measurement and the medians, with the
 * load average, so that before and after are compared side by side under the same load.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { measure } from './held.mjs'
import { MiB, median } from './lib.mjs'

const [base, rounds = '2', n = '1000', protocols = 'ietf,tus-v1'] = process.argv.slice(2)
if (!base) {
  process.stderr.write('usage: node scripts/bench/held-ab.mjs BASE [ROUNDS] [N] [PROTOCOLS]\n')
  process.exit(2)
}
const roots = { before: resolve(base), after: new URL('../..', import.meta.url).pathname, floor: undefined }
const tmp = mkdtempSync(join(tmpdir(), 'rufh-held-ab-'))
process.once('exit', () => rmSync(tmp, { recursive: true, force: true }))
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')
const mib = (b) => (b / MiB).toFixed(1)
const results = {}
process.stdout.write(`load average at the start: ${load()}\n`)
for (let i = 0; i < Number(rounds); i++) {
  for (const protocol of protocols.split(',')) {
    const order = i % 2 ? ['floor', 'after', 'before'] : ['before', 'after', 'floor']
    for (const who of order) {
      const key = who === 'floor' ? 'floor' : 'rufh'
      const m = await measure({ root: roots[who] ?? roots.after, tmp, key, protocol, n: Number(n) })
      results[`${protocol} ${who}`] ??= []
      results[`${protocol} ${who}`].push(m)
      process.stdout.write(
        `${protocol} ${who} round ${i + 1}: peak ${mib(m.peak)} MiB, idle ${mib(m.idle)} MiB, CPU ${m.cpu.toFixed(2)} s, ` +
          `${m.completed}/${n} completed${m.failures.length ? ` (${m.failures[0]})` : ''}; load ${load()}\n`,
      )
    }
  }
}
for (const protocol of protocols.split(',')) {
  const of = (who, f) => median(results[`${protocol} ${who}`].map(f))
  for (const who of ['before', 'after', 'floor']) {
    const peak = of(who, (m) => m.peak)
    const cpu = of(who, (m) => m.cpu)
    process.stdout.write(
      `${protocol} ${who}: median peak ${mib(peak)} MiB (${(peak / of('floor', (m) => m.peak)).toFixed(2)}× the floor's), ` +
        `CPU ${cpu.toFixed(2)} s (${(cpu / of('floor', (m) => m.cpu)).toFixed(2)}×)\n`,
    )
  }
}
process.stdout.write(`load average at the end: ${load()}\n`)
