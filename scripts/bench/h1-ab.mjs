#!/usr/bin/env node
/**
 * A/B harness for issue 17 target 3 (why `@rufh/client` over HTTP/1.1 trails `curl -T`): one `rufh serve`, one cached
 * random file, and, alternating (order reversed every other round), one upload per variant and round. For each
 * upload: wall time, the client's CPU (its process alone), and the SERVER's CPU (/proc/PID/stat of `rufh serve`
 * between the start and the end of the upload), the server's read and write system calls (/proc/PID/io) and the
 * machine's busy, idle and steal ticks (/proc/stat), so that a gap can be placed on the client's or the server's side.
 *
 *   flock /work/wt/bench.lock node scripts/bench/h1-ab.mjs [--runs 5] [--size 1GiB] [--only a,b] [--server BIN] [--pin]
 *
 * Variants: `curl-post` (the bench's curl: one optimistic interop-8 creation POST with the file, timed as a whole
 * process, and by curl's own `time_total`), `curl-patch` (curl PATCHes the file into an upload the harness created
 * empty first at interop 10, the path @rufh/client takes), and the h1-ab-client.mjs modes (raw-1m, raw-256k,
 * raw-64k, raw-stream, rufh, rufh-i8, rufh-h2). `--sink`: into sink-server.mjs instead (curl-patch*, raw-* only). H1AB_CLIENT=path makes the rufh modes load another client build; `rufh-alt` loads the build at H1AB_ALT.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import http from 'node:http'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpuOf, makeRandomFile, median, parseSize, readyClient, startServer } from './lib.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? fallback : process.argv[i + 1]
}
const runs = Number(arg('runs', '5'))
const size = parseSize(arg('size', '1GiB'))
const ALL = [
  'curl-post',
  'curl-patch',
  'raw-1m',
  'raw-1m-ka',
  'raw-256k',
  'raw-64k',
  'raw-stream',
  'rufh',
  'rufh-i8',
  'rufh-i10',
  'rufh-h2',
]
const variants = arg('only', ALL.join(',')).split(',')
const serverBin = arg('server', join(root, 'packages/cli/dist/bin.js'))
/** `--sink`: a bare node:http server that pipes each body to a file (sink-server.mjs) instead of `rufh serve`. */
const sink = process.argv.includes('--sink')
/** `--pin`: this harness and its clients on CPU 0, the server on the last CPU (the client-cpu suite's `pinned`). */
const pin = process.argv.includes('--pin')
if (pin) execFileSync('taskset', ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' })

const tmp = mkdtempSync(join(tmpdir(), 'h1-ab-'))
const src = join(tmp, 'src.bin')
const dir = join(tmp, 'store')
await makeRandomFile(src, size)

/** An empty upload at interop 10 (not timed): the target of the PATCH variants. */
function createEmpty(endpoint) {
  if (sink) return Promise.resolve(`${endpoint}/upload`)
  return new Promise((resolve, reject) => {
    const req = http.request(endpoint, {
      method: 'POST',
      headers: { 'upload-draft-interop-version': '10', 'upload-complete': '?0', 'content-length': '0' },
    })
    req.on('error', reject)
    req.on('response', (res) => {
      res.resume()
      if (res.statusCode !== 201) reject(new Error(`creation: ${res.statusCode}`))
      else resolve(new URL(res.headers.location, endpoint).href)
    })
    req.end()
  })
}

async function nodeClient(mode, url) {
  const client = join(root, 'scripts/bench/h1-ab-client.mjs')
  const { result, cpu, other } = await readyClient(client, [mode, src, url], server.pid)
  return { seconds: result.seconds, cpu: cpu.total, server: other }
}

/** `before`: curl arguments of an earlier request on the same connection (then `--next`). */
async function curl(method, url, headers, before = []) {
  const h = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`])
  const script = 'curl "$@" || exit 1; echo; cat /proc/$$/stat'
  const first = before.length ? ['-sS', '-o', '/dev/null', ...before, '--next'] : []
  const args = [...first, '-sS', '-o', '/dev/null', '-w', '%{time_total}', '-X', method, ...h, '-T', src, url]
  const s0 = cpuOf(server.pid)
  const t0 = process.hrtime.bigint()
  const child = spawn('sh', ['-c', script, 'sh', ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (s) => {
    out += s
  })
  const code = await new Promise((resolve) => child.once('exit', resolve))
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const s1 = cpuOf(server.pid)
  if (code !== 0) throw new Error(`curl ${method} failed (${code})`)
  const [own, stat] = out.split('\n')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { seconds, own: Number(own), cpu: (Number(f[13]) + Number(f[14])) / 100, server: s1.total - s0.total }
}

async function one(v, endpoint) {
  if (v === 'curl-post')
    return curl('POST', endpoint, {
      'Upload-Draft-Interop-Version': '8',
      'Upload-Complete': '?1',
      'Content-Type': 'application/octet-stream',
    })
  if (v === 'curl-patch')
    return curl('PATCH', await createEmpty(endpoint), {
      'Upload-Draft-Interop-Version': '10',
      'Upload-Offset': '0',
      'Upload-Complete': '?1',
      'Content-Type': 'application/partial-upload',
    })
  if (v === 'curl-patch-ka')
    return curl(
      'PATCH',
      await createEmpty(endpoint),
      {
        'Upload-Draft-Interop-Version': '10',
        'Upload-Offset': '0',
        'Upload-Complete': '?1',
        'Content-Type': 'application/partial-upload',
      },
      ['-X', 'OPTIONS', endpoint],
    )
  if (v.startsWith('raw-')) return nodeClient(v, await createEmpty(endpoint))
  return nodeClient(v, endpoint)
}

/** Machine-wide TCP counters (/proc/net/netstat, /proc/net/snmp): retransmissions on loopback are spurious. */
function tcpCounters() {
  const out = {}
  for (const f of ['/proc/net/netstat', '/proc/net/snmp']) {
    const lines = readFileSync(f, 'utf8').trim().split('\n')
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = lines[i].split(/\s+/)
      const values = lines[i + 1].split(/\s+/)
      for (let j = 1; j < names.length; j++) out[names[0] + names[j]] = Number(values[j])
    }
  }
  return {
    retrans: out['Tcp:RetransSegs'],
    tlp: out['TcpExt:TCPLossProbes'],
    rto: out['TcpExt:TCPTimeouts'],
    dsack: out['TcpExt:TCPDSACKRecv'],
  }
}

/** A /proc file of one `name value` (or `name: value`) pair per line, as numbers by name. */
function procFields(path) {
  const pairs = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(/:?\s+/))
  return Object.fromEntries(pairs.map(([k, v]) => [k, Number(v)]))
}

/**
 * The server's read and write system calls so far (/proc/PID/io, all its threads): reads per GiB tell how the body
 * reached it (few large reads or many small ones).
 */
function serverIo(pid) {
  const io = procFields(`/proc/${pid}/io`)
  return { reads: io.syscr, writes: io.syscw }
}

/** Machine-wide CPU time (/proc/stat, in clock ticks): steal is time the hypervisor gave this VM's CPUs to others. */
function cpuTicks() {
  const [, user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .split(/\s+/)
    .map(Number)
  return { busy: user + nice + system + irq + softirq, idle, iowait, steal }
}

/** Pages read from and written to the disks (/proc/vmstat, KiB): a cached source file read again shows here. */
function vm() {
  const v = procFields('/proc/vmstat')
  return { pgpgin: v.pgpgin, pgpgout: v.pgpgout }
}

/** Exactly one complete upload of `size` bytes in the folder; removed. */
function verify(who) {
  if (sink) {
    const names = readdirSync(dir).filter((n) => statSync(join(dir, n)).size > 0)
    if (names.length !== 1 || statSync(join(dir, names[0])).size !== size) throw new Error(`${who}: sink got ${names}`)
    for (const n of readdirSync(dir)) rmSync(join(dir, n))
    return
  }
  const names = readdirSync(dir).filter((n) => !n.endsWith('.json') && !n.includes('.tmp'))
  if (names.length !== 1) throw new Error(`${who}: ${names.length} uploads in the folder`)
  const file = join(dir, names[0])
  const info = JSON.parse(readFileSync(`${file}.json`, 'utf8'))
  if (statSync(file).size !== size || info.complete !== true) throw new Error(`${who}: incomplete`)
  rmSync(file)
  rmSync(`${file}.json`)
}

const server = sink
  ? await startServer([join(root, 'scripts/bench/sink-server.mjs'), dir], /^sink serving (\S+)/m)
  : await startServer([serverBin, 'serve', '--port', '0', '--dir', dir, '--log-level', 'warn'], /^rufh serving (\S+)/m)
if (pin) execFileSync('taskset', ['-a', '-p', '-c', String(availableParallelism() - 1), String(server.pid)])
const endpoint = server.url.replace(/\/$/, '')
const res = Object.fromEntries(variants.map((v) => [v, []]))
console.log(`loadavg before: ${readFileSync('/proc/loadavg', 'utf8').trim()}`)
try {
  for (let i = 0; i < runs; i++) {
    for (const v of i % 2 ? [...variants].reverse() : variants) {
      const k0 = tcpCounters()
      const io0 = serverIo(server.pid)
      const t0 = cpuTicks()
      const vm0 = vm()
      const r = await one(v, endpoint)
      const vm1 = vm()
      const t1 = cpuTicks()
      r.vm = { inKiB: vm1.pgpgin - vm0.pgpgin, outKiB: vm1.pgpgout - vm0.pgpgout }
      const io1 = serverIo(server.pid)
      r.ticks = Object.fromEntries(Object.keys(t0).map((k) => [k, t1[k] - t0[k]]))
      const k1 = tcpCounters()
      r.tcp = Object.fromEntries(Object.keys(k0).map((k) => [k, k1[k] - k0[k]]))
      r.io = { reads: io1.reads - io0.reads, writes: io1.writes - io0.writes }
      verify(v)
      r.mbps = size / 1e6 / r.seconds
      res[v].push(r)
      console.log(
        `${v.padEnd(11)} ${i + 1}: ${r.seconds.toFixed(3)} s ${r.mbps.toFixed(0)} MB/s client CPU ${r.cpu.toFixed(2)}` +
          ` server CPU ${r.server.toFixed(2)} server syscalls ${r.io.reads} read ${r.io.writes} write` +
          ` ticks ${JSON.stringify(r.ticks)} disk ${JSON.stringify(r.vm)} tcp ${JSON.stringify(r.tcp)}${r.own ? ` (curl time_total ${r.own.toFixed(3)})` : ''}`,
      )
    }
  }
} finally {
  await server.stop()
  rmSync(tmp, { recursive: true, force: true })
}
console.log(`loadavg after: ${readFileSync('/proc/loadavg', 'utf8').trim()}`)
const ref = median(res[variants[0]].map((r) => r.mbps))
console.log(`\nvariant      MB/s med (min-max)   ×${variants[0]}  client CPU  server CPU`)
for (const v of variants) {
  const mb = res[v].map((r) => r.mbps)
  const m = median(mb)
  console.log(
    `${v.padEnd(12)} ${m.toFixed(0).padStart(4)} (${Math.min(...mb).toFixed(0)}-${Math.max(...mb).toFixed(0)})` +
      `   ${(m / ref).toFixed(2)}     ${median(res[v].map((r) => r.cpu)).toFixed(2)}        ${median(res[v].map((r) => r.server)).toFixed(2)}` +
      `   retrans ${median(res[v].map((r) => r.tcp.retrans))} rto ${median(res[v].map((r) => r.tcp.rto))}`,
  )
}
