#!/usr/bin/env node
/**
 * A/B of two `rufh serve` builds on large uploads (issue 17): both servers run at once, each on its own folder, and
 * take turns (order reversed every other round), so that both see the same machine at the same time.
 *
 *   flock /work/wt/bench.lock node scripts/bench/serve-ab.mjs BASE_BIN NEW_BIN [--rounds 8] [--size 1GiB] [--tus]
 *
 * BIN: a build's packages/cli/dist/bin.js (a worktree of another commit, built). Per round and server: one upload of
 * the file by `curl -T` (an optimistic interop 8 creation `POST`, as the client-cpu suite's) and one by @rufh/client
 * with its defaults (this checkout's build, scripts/bench/client-upload.mjs); MB/s and the server's CPU per GiB.
 * `--tus`: also the tus suite's load (100 concurrent 8 MiB uploads, careful creation then one PATCH, verified).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runLoad } from '../../packages/load/dist/index.js'
import { cpuOf, emptyDir, MiB, makeRandomFile, median, parseSize, readyClient, startServer } from './lib.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const [baseBin, newBin] = process.argv.slice(2)
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? fallback : process.argv[i + 1]
}
if (!baseBin || !newBin || baseBin.startsWith('--')) {
  process.stderr.write('usage: serve-ab.mjs BASE_BIN NEW_BIN [--rounds N] [--size S] [--tus]\n')
  process.exit(2)
}
const rounds = Number(arg('rounds', '8'))
const size = parseSize(arg('size', '1GiB'))
const tus = process.argv.includes('--tus')

const tmp = mkdtempSync(join(tmpdir(), 'serve-ab-'))
const src = join(tmp, 'src.bin')
await makeRandomFile(src, size)
const servers = {}
for (const [key, bin] of [
  ['base', baseBin],
  ['new', newBin],
]) {
  const dir = join(tmp, key)
  const s = await startServer(
    [bin, 'serve', '--port', '0', '--dir', dir, '--log-level', 'warn'],
    /^rufh serving (\S+)/m,
  )
  servers[key] = { ...s, dir }
}

function curl(url) {
  const headers = ['Upload-Draft-Interop-Version: 8', 'Upload-Complete: ?1', 'Content-Type: application/octet-stream']
  // No trailing slash: `-T FILE URL/` would append the file's name to the URL.
  const args = ['-sS', '-o', '/dev/null', '-X', 'POST', ...headers.flatMap((h) => ['-H', h]), '-T', src]
  args.push(url.replace(/\/$/, ''))
  const t0 = process.hrtime.bigint()
  const child = spawn('curl', args, { stdio: ['ignore', 'ignore', 'inherit'] })
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(Number(process.hrtime.bigint() - t0) / 1e9) : reject(new Error(`curl: ${code}`)),
    ),
  )
}

async function rufh(url) {
  const { result } = await readyClient(join(root, 'scripts/bench/client-upload.mjs'), ['rufh', src, url])
  return result.seconds
}

const load = (url, seed) =>
  runLoad({
    url,
    protocol: 'tus-v1',
    model: { kind: 'closed', users: 100, uploadsPerUser: 1 },
    size: { kind: 'fixed', size: 8 * MiB },
    seed,
    verify: { kind: 'get' },
  })

/** @type {Record<string, { mbps: number[], cpu: number[] }>} */
const res = {}
const record = (key, what, bytes, seconds, cpu) => {
  res[`${what} ${key}`] ??= { mbps: [], cpu: [] }
  const r = res[`${what} ${key}`]
  r.mbps.push(bytes / seconds / 1e6)
  r.cpu.push(cpu / (bytes / (1024 * MiB)))
}
try {
  // Round 0 warms both servers (JIT, heap) and is not counted.
  for (let round = 0; round <= rounds; round++) {
    for (const key of round % 2 ? ['base', 'new'] : ['new', 'base']) {
      const s = servers[key]
      for (const [what, run] of [
        ['curl', curl],
        ['@rufh/client', rufh],
      ]) {
        const c0 = cpuOf(s.pid).total
        const seconds = await run(s.url)
        const cpu = cpuOf(s.pid).total - c0
        await emptyDir(s.dir)
        if (round > 0) record(key, what, size, seconds, cpu)
      }
      if (tus) {
        const c0 = cpuOf(s.pid).total
        const r = await load(s.url, round)
        const cpu = cpuOf(s.pid).total - c0
        if (!r.ok || r.uploads.verified !== 100) throw new Error(`${key} tus: ${r.uploads.verified}/100 verified`)
        await emptyDir(s.dir)
        if (round > 0)
          record(key, 'tus 100 × 8 MiB', 100 * 8 * MiB, (100 * 8 * MiB) / r.throughput.goodputBytesPerSecond, cpu)
      }
    }
  }
  process.stdout.write(`rounds ${rounds}, size ${size} B; MB/s median (per round), server CPU s/GiB median\n`)
  for (const [name, r] of Object.entries(res)) {
    const per = r.mbps.map((x) => x.toFixed(0)).join(' ')
    process.stdout.write(
      `${name.padEnd(26)} ${median(r.mbps).toFixed(0).padStart(5)} MB/s (${per})  CPU ${median(r.cpu).toFixed(2)}\n`,
    )
  }
} finally {
  for (const s of Object.values(servers)) await s.stop()
  rmSync(tmp, { recursive: true, force: true })
}
