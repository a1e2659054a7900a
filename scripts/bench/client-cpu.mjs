/**
 * Bench suite `client-cpu` (issue 17): what uploading a file costs the client. `@rufh/client` over HTTP/1.1 and over
 * HTTP/2 (h2c), tus-js-client 4.3.1 (`ietf-draft-05`) and `curl -T` upload the same random file into the same
 * `rufh serve` process, alternating, run by run. The client's CPU seconds (user + system of the client process alone,
 * from /proc/PID/stat, between the start and the end of the upload; for curl, the cutime + cstime its shell collects)
 * and its throughput are recorded; medians. Every upload's stored size and completion are checked in the folder.
 */
import { spawn } from 'node:child_process'
import { readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { formatSize, median, readyClient, startServer } from './lib.mjs'

export const title =
  'Client cost: CPU seconds and throughput of one upload, `@rufh/client` vs tus-js-client vs `curl -T`'

export const description =
  'One upload per run and client, each client in its own fresh process, into the same `rufh serve --log-level warn` ' +
  'on 127.0.0.1. `@rufh/client`: `upload(path, { endpoint })` with its defaults (HTTP/1.1, `interop: "auto"`: an `OPTIONS`, an empty creation `POST` at the newest version, then the whole file in one `PATCH`), and ' +
  'the same with `transport: new NodeHttp2Transport()` (h2c), and with `interop: 8, discover: false` (one optimistic creation `POST` carrying the file, the exchange curl makes). tus-js-client 4.3.1: `protocol: "ietf-draft-05"` from ' +
  '`fs.createReadStream(path)`. curl 7.88: `curl -sS -X POST -H "Upload-Draft-Interop-Version: 8" -H ' +
  '"Upload-Complete: ?1" -T FILE http://127.0.0.1:PORT/files` (one optimistic creation: the whole file in the `POST`). Node clients: CPU and time from ' +
  'the upload call to its completion (module loading excluded); curl: its whole process.'

const CLIENTS = [
  { key: 'rufh', name: '`@rufh/client` (HTTP/1.1)' },
  { key: 'rufh-h2', name: '`@rufh/client` (HTTP/2, h2c)' },
  { key: 'rufh-i8', name: '`@rufh/client` (HTTP/1.1, interop 8 creation, as curl)' },
  { key: 'tus-js-client', name: 'tus-js-client 4.3.1 (`ietf-draft-05`)' },
  { key: 'curl', name: '`curl -T` (interop 8 creation)' },
]

const children = new Set()
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

/** A Node client in its own process: CPU from /proc between 'go' and its result line. */
async function nodeClient(script, client, file, url) {
  const { result, cpu } = await readyClient(script, [client, file, url])
  return { seconds: result.seconds, cpu: cpu.total, user: cpu.user, system: cpu.system }
}

/** curl in a shell that prints its children's CPU (cutime, cstime) once curl has exited. */
async function curlClient(file, url) {
  const script =
    'curl -sS -o /dev/null -X POST -H "Upload-Draft-Interop-Version: 8" -H "Upload-Complete: ?1" ' +
    '-H "Content-Type: application/octet-stream" -T "$1" "$2" || exit 1; cat /proc/$$/stat'
  const t0 = process.hrtime.bigint()
  // `curl -T FILE URL/` would append the file's name to a URL ending in '/': the target without its slash.
  const target = url.replace(/\/$/, '')
  const child = spawn('sh', ['-c', script, 'sh', file, target], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (s) => {
    out += s
  })
  child.stderr.setEncoding('utf8').on('data', (s) => {
    err += s
  })
  const code = await new Promise((resolve) => child.once('exit', resolve))
  children.delete(child)
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  if (code !== 0) throw new Error(`curl failed (${code}): ${err}`)
  const f = out.slice(out.lastIndexOf(')') + 2).split(' ')
  const user = Number(f[13]) / 100
  const system = Number(f[14]) / 100
  return { seconds, cpu: user + system, user, system }
}

/** The folder holds exactly one upload of `size` bytes, marked complete; it is removed. */
async function verify(dir, size, who) {
  const names = (await readdir(dir)).filter((n) => !n.endsWith('.json') && !n.includes('.tmp'))
  if (names.length !== 1) throw new Error(`${who}: ${names.length} uploads in the folder`)
  const file = join(dir, names[0])
  const stored = (await stat(file)).size
  const info = JSON.parse(await readFile(`${file}.json`, 'utf8'))
  if (stored !== size || info.complete !== true)
    throw new Error(`${who}: stored ${stored} of ${size} B, ${info.complete}`)
  await Promise.all([rm(file), rm(`${file}.json`)])
}

/** @param {{ root: string, tmp: string, runs: number, size: number, randomFile: (n: number) => Promise<{ path: string }>, log: (s: string) => void }} ctx */
export async function run(ctx) {
  const { root, tmp, runs, size, log } = ctx
  const src = await ctx.randomFile(size)
  const script = join(root, 'scripts/bench/client-upload.mjs')
  const dir = join(tmp, 'client-cpu')
  const server = await startServer(
    [join(root, 'packages/cli/dist/bin.js'), 'serve', '--port', '0', '--dir', dir, '--log-level', 'warn'],
    /^rufh serving (\S+)/m,
  )
  const res = Object.fromEntries(CLIENTS.map((c) => [c.key, []]))
  try {
    for (let i = 0; i < runs; i++) {
      const order = i % 2 ? [...CLIENTS].reverse() : CLIENTS
      for (const c of order) {
        const r =
          c.key === 'curl'
            ? await curlClient(src.path, server.url)
            : await nodeClient(script, c.key, src.path, server.url)
        await verify(dir, size, c.key)
        r.mbps = size / 1e6 / r.seconds
        res[c.key].push(r)
        log(
          `${c.key.padEnd(14)} run ${i + 1}: ${r.seconds.toFixed(2)} s, ${r.mbps.toFixed(0)} MB/s, client CPU ` +
            `${r.cpu.toFixed(2)} s (user ${r.user.toFixed(2)}, system ${r.system.toFixed(2)})`,
        )
      }
    }
  } finally {
    await server.stop()
  }
  const m = (k, f) => median(res[k].map(f))
  const rows = [
    [
      'client',
      'MB/s median (min–max)',
      'client CPU s median (min–max)',
      'user / system s',
      '× tus-js-client CPU',
      '× curl MB/s',
    ],
  ]
  for (const c of CLIENTS) {
    const mb = res[c.key].map((r) => r.mbps)
    const cpu = res[c.key].map((r) => r.cpu)
    rows.push([
      c.name,
      `${m(c.key, (r) => r.mbps).toFixed(0)} (${Math.min(...mb).toFixed(0)}–${Math.max(...mb).toFixed(0)})`,
      `${m(c.key, (r) => r.cpu).toFixed(2)} (${Math.min(...cpu).toFixed(2)}–${Math.max(...cpu).toFixed(2)})`,
      `${m(c.key, (r) => r.user).toFixed(2)} / ${m(c.key, (r) => r.system).toFixed(2)}`,
      (m(c.key, (r) => r.cpu) / m('tus-js-client', (r) => r.cpu)).toFixed(2),
      (m(c.key, (r) => r.mbps) / m('curl', (r) => r.mbps)).toFixed(2),
    ])
  }
  const cpuRatio = m('rufh', (r) => r.cpu) / m('tus-js-client', (r) => r.cpu)
  const curlRatio = m('rufh', (r) => r.mbps) / m('curl', (r) => r.mbps)
  const h2Ratio = m('rufh-h2', (r) => r.mbps) / m('rufh', (r) => r.mbps)
  const sameRatio = m('rufh-i8', (r) => r.mbps) / m('curl', (r) => r.mbps)
  const verdict = (ok) => (ok ? 'met' : '**not met**')
  const notes = [
    `${runs} runs of ${formatSize(size)} per client, alternating (order reversed every other run); one \`rufh serve\` for all; every upload's stored size and completion checked, then removed.`,
    `@rufh/client CPU ≤ 0.67× tus-js-client's: ${verdict(cpuRatio <= 0.67)} (${cpuRatio.toFixed(2)}×). Throughput ≥ 0.95× curl's: ${verdict(curlRatio >= 0.95)} (${curlRatio.toFixed(2)}×). HTTP/2 ≥ 0.9× HTTP/1.1: ${verdict(h2Ratio >= 0.9)} (${h2Ratio.toFixed(2)}×).`,
    `The target is judged on the defaults (an \`OPTIONS\`, an empty \`POST\`, then the \`PATCH\` on the same kept-alive connection). With the exchange curl makes (\`interop: 8, discover: false\`: one creation \`POST\` with the file on a new connection) @rufh/client reached ${sameRatio.toFixed(2)}× curl's throughput.`,
    "Client and server share the machine's 2 cores: the server's CPU use limits every client's throughput alike.",
  ]
  return { rows, notes }
}
