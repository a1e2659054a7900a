/**
 * Helpers shared by the benchmark suites: sizes, statistics, test files, server child processes, RSS sampling.
 */
import { spawn } from 'node:child_process'
import { createHash, randomFillSync } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream, readFileSync, writeFileSync } from 'node:fs'
import { open, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

export const MiB = 1024 * 1024

/** Server and client processes still running: killed if the benchmark exits early (an error, Ctrl-C). */
const children = new Set()
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

const UNITS = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KIB: 1024, MIB: MiB, GIB: 1024 * MiB }

/** `"1GiB"`, `"64MiB"`, `"100MB"`, `"4096"` → bytes. */
export function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  const unit = UNITS[(m?.[2] || 'B').toUpperCase()]
  if (!m || !unit) throw new Error(`invalid size '${text}' (e.g. 1GiB, 64MiB, 100MB)`)
  return Math.round(Number(m[1]) * unit)
}

/** @param {number} bytes */
export function formatSize(bytes) {
  for (const [unit, n] of [
    ['GiB', 1024 * MiB],
    ['MiB', MiB],
    ['KiB', 1024],
  ]) {
    if (bytes >= n && bytes % n === 0) return `${bytes / n} ${unit}`
  }
  return `${bytes} B`
}

/** @param {number[]} xs */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** Writes `size` random bytes in 4 MiB blocks; returns the sha256 (hex) of what was written. */
export async function makeRandomFile(path, size) {
  const block = Buffer.allocUnsafe(4 * MiB)
  const hash = createHash('sha256')
  const fh = await open(path, 'w')
  try {
    for (let done = 0; done < size; ) {
      const chunk = block.subarray(0, Math.min(block.length, size - done))
      randomFillSync(chunk)
      hash.update(chunk)
      await fh.write(chunk)
      done += chunk.length
    }
  } finally {
    await fh.close()
  }
  return hash.digest('hex')
}

export async function sha256File(path) {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * MiB })) hash.update(chunk)
  return hash.digest('hex')
}

/**
 * Starts `node args...` and waits until its stdout has a line matching `ready` (whose first group is the URL).
 * @param {string[]} args
 * @param {RegExp} ready
 * @param {string} [cwd]
 * @param {Record<string, string>} [env] added to this process's environment
 * @returns {Promise<{ pid: number, url: string, stop: () => Promise<void> }>}
 */
export async function startServer(args, ready, cwd, env) {
  const child = spawn(process.execPath, args, {
    cwd,
    env: env ? { ...process.env, ...env } : process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  child.once('exit', () => children.delete(child))
  let out = ''
  let err = ''
  child.stderr.setEncoding('utf8').on('data', (s) => {
    err += s
  })
  const url = await new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (s) => {
      out += s
      const m = ready.exec(out)
      if (m) resolve(m[1])
    })
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before it was ready: ${err || out}`)))
  })
  child.stdout.resume()
  return {
    pid: child.pid,
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** VmRSS and VmHWM of a process, in bytes. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') }
}

/**
 * Samples VmRSS of `pid` every `everyMs` until `stop()`, which returns the RSS before sampling started, the largest
 * sample, and VmHWM at the end. VmHWM is reset first (`clear_refs` 5; `reset` says whether that worked) so that it
 * covers only this window, including spikes between samples.
 */
export function sampleRss(pid, everyMs = 50) {
  let reset = true
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
  } catch {
    reset = false // Not permitted: VmHWM then covers the whole life of the process.
  }
  const before = memoryOf(pid).rss
  let peak = before
  const timer = setInterval(() => {
    peak = Math.max(peak, memoryOf(pid).rss)
  }, everyMs)
  return {
    stop() {
      clearInterval(timer)
      const end = memoryOf(pid)
      return { before, peak: Math.max(peak, end.rss), hwm: end.hwm, reset }
    },
  }
}

/** Columns padded the way Biome formats Markdown tables, so the docs stay lint-clean. */
export function markdownTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(3, ...rows.map((r) => r[i].length)))
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`
  return [line(rows[0]), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n')
}

/**
 * A bench client script in its own Node process, so that its CPU is its own (client-upload.mjs, h1-ab-client.mjs):
 * waits for its `ready` line, reads `cpuOf` it (and of `otherPid`, the server, when given), writes `go`, reads its one
 * JSON result line, reads the CPU again, then ends its stdin and waits for it to exit. Returns the result and the
 * CPU seconds each process used between `go` and the result.
 */
export async function readyClient(script, args, otherPid) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  children.add(child)
  let err = ''
  child.stderr.setEncoding('utf8').on('data', (s) => {
    err += s
  })
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)))
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = () =>
    Promise.race([
      lines.next().then((r) => String(r.value)),
      exited.then((code) => {
        throw new Error(`${args.join(' ')} exited (${code}): ${err}`)
      }),
    ])
  try {
    if ((await next()) !== 'ready') throw new Error(`${args[0]}: no 'ready'`)
    const cpu0 = cpuOf(child.pid)
    const other0 = otherPid === undefined ? 0 : cpuOf(otherPid).total
    child.stdin.write('go\n')
    const result = JSON.parse(await next())
    const other = otherPid === undefined ? 0 : cpuOf(otherPid).total - other0
    const cpu1 = cpuOf(child.pid)
    child.stdin.end()
    await exited
    const cpu = { total: cpu1.total - cpu0.total, user: cpu1.user - cpu0.user, system: cpu1.system - cpu0.system }
    return { result, cpu, other }
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
    children.delete(child)
  }
}

/** Removes everything inside `dir` (a server's upload folder between runs), keeping the folder. */
export async function emptyDir(dir) {
  for (const f of await readdir(dir)) await rm(join(dir, f), { recursive: true, force: true })
}

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat (clock ticks of 1/100 s). */
export function cpuOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces) start at state; utime and stime are fields 14 and 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(f[11]) + Number(f[12])
  return { user: Number(f[11]) / 100, system: Number(f[12]) / 100, total: ticks / 100 }
}

/** The soft limit on open files of this process (children inherit it). */
export function openFilesLimit() {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
  return m?.[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m?.[1] ?? 1024)
}

/** TcpExt counters of the kernel (whole machine): ListenOverflows and ListenDrops count refused connection attempts. */
export function tcpExt() {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n')
  const i = lines.findIndex((l) => l.startsWith('TcpExt:'))
  const names = lines[i].split(' ').slice(1)
  const values = lines[i + 1].split(' ').slice(1).map(Number)
  return Object.fromEntries(names.map((n, j) => [n, values[j]]))
}
