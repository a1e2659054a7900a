/**
 * The chaos suite (issue 13): many seeded uploads in interop 6, 8 and tus 1.0, with @rufh/client, through `rufh
 * netsim` (cuts at random body offsets, resets, half-open stalls, dropped responses, a shared bandwidth cap), while
 * `rufh serve` is killed with kill -9 and restarted on the same folder and port several times. Oracles: every upload
 * completes byte-exact and is downloadable (none stuck), and no offset the server reports — to a HEAD after
 * completion, in the store, or as the client's acknowledged bytes — is ever lower than one reported before.
 *
 * This module runs one seeded chaos run and returns what broke (nothing, for a sound server); chaos.test.ts runs it
 * against `rufh serve` and against deliberately broken servers (chaos-mutant.test.helper.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createUpload, NodeHttpTransport, type UploadResult } from '@rufh/client'
import { Rng } from './rng.js'

const BIN = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url))
const KiB = 1024

/** Every child started here, so a test file's `after` can kill what is left. */
export const children = new Set<ChildProcess>()

/** A child that prints a line matching `ready`; resolves with the match. */
function start(
  script: string,
  args: string[],
  ready: RegExp,
  onErr?: (line: string) => void,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  child.once('exit', () => children.delete(child))
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`no '${ready}' within 15 s: ${out} ${err}`)), 15_000)
    let pending = ''
    child.stderr?.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000)
      if (!onErr) return
      pending += d.toString()
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const l of lines) onErr(l)
    })
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const m = ready.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve({ child, match: m })
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited ${code} before ready: ${err}`))
    })
  })
}

function kill9(c: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve()
    c.once('exit', () => resolve())
    c.kill('SIGKILL')
  })
}

/** How to start the server: `rufh serve`, or a mutant script taking the same `--port`/`--dir`. */
export interface ServerCommand {
  script: string
  args: string[]
}

export const RUFH_SERVE: ServerCommand = { script: BIN, args: ['serve', '--log-level', 'silent'] }

/** The server on `dir` and `port` (0: any); a port just freed by a kill may take a moment to bind again. */
async function serve(dir: string, port: number, cmd: ServerCommand): Promise<{ child: ChildProcess; port: number }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const { child, match } = await start(
        cmd.script,
        [...cmd.args, '--port', String(port), '--dir', dir],
        /rufh serving http:\/\/127\.0\.0\.1:(\d+)\//,
      )
      return { child, port: Number(match[1]) }
    } catch (e) {
      if (attempt >= 20) throw e
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

function head(port: number, path: string, tus: boolean, interop: number): Promise<number | undefined> {
  const headers: Record<string, string> = tus
    ? { 'tus-resumable': '1.0.0' }
    : { 'upload-draft-interop-version': String(interop) }
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'HEAD', headers, agent: false }, (res) => {
      res.resume()
      const o = res.headers['upload-offset']
      resolve(res.statusCode && res.statusCode < 300 && typeof o === 'string' ? Number(o) : undefined)
    })
    req.on('error', () => resolve(undefined))
    req.end()
  })
}

function download(port: number, path: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }))
      res.on('error', () => resolve({ status: 0, body: Buffer.alloc(0) }))
    })
    req.on('error', () => resolve({ status: 0, body: Buffer.alloc(0) }))
    req.end()
  })
}

/** Faults on every request with the given chances (netsim draws them from its seed, per request). */
function scenario(seed: number) {
  const any = { method: '', path: '', request: 0 }
  return {
    seed,
    timeline: [
      { at: 0, add: { type: 'shared_bandwidth', stream: 'upstream', attributes: { rate: 1500 } } },
      {
        at: 0,
        add: {
          name: 'cut',
          type: 'http_cut_body',
          toxicity: 0.2,
          attributes: { ...any, random: true, action: 'close' },
        },
      },
      {
        at: 0,
        add: {
          name: 'reset',
          type: 'http_cut_body',
          toxicity: 0.08,
          attributes: { ...any, random: true, action: 'reset' },
        },
      },
      {
        at: 0,
        add: { name: 'stall', type: 'http_half_open', toxicity: 0.04, attributes: { ...any, after_bytes: 2000 } },
      },
      {
        at: 0,
        add: { name: 'drop', type: 'http_drop_response', toxicity: 0.08, attributes: { ...any, action: 'close' } },
      },
    ],
  }
}

interface Planned {
  name: string
  protocol: 'tus' | 6 | 8
  data: Buffer
  url?: string
  acked: number[]
  heads: number[]
  doneAt?: number
}

const idOf = (url: string) => new URL(url).pathname.split('/').pop() ?? ''

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

export interface ChaosReport {
  /** What broke: empty for a sound server. */
  broken: string[]
  /** netsim's fault events by toxic and kind. */
  faults: Record<string, number>
  /** Uploads still running when the first kill came. */
  spanning: number
}

/** One seeded run: 15 uploads, 3 kills; never throws for what the server does wrong, reports it. */
export async function runChaos(seed: number, server: ServerCommand = RUFH_SERVE): Promise<ChaosReport> {
  const broken: string[] = []
  const rng = new Rng(seed)
  const dir = await mkdtemp(join(tmpdir(), 'rufh-chaos-'))
  let srv = await serve(dir, 0, server)
  const port = srv.port
  const scenarioFile = join(tmpdir(), `rufh-chaos-${seed}-${process.pid}.json`)
  await writeFile(scenarioFile, JSON.stringify(scenario(seed)))
  const faults: Record<string, number> = {}
  const ns = await start(
    BIN,
    [
      'netsim',
      '--upstream',
      `127.0.0.1:${port}`,
      '--no-api',
      '--verbose',
      '--seed',
      String(seed),
      '--scenario',
      scenarioFile,
    ],
    /netsim: proxy netsim 127\.0\.0\.1:(\d+) ->[^\n]*\n(?:[^\n]*\n)*?netsim: ready/,
    (line) => {
      try {
        const f = JSON.parse(line) as { toxic?: string; fault?: string }
        const key = `${f.toxic}:${f.fault}`
        faults[key] = (faults[key] ?? 0) + 1
      } catch {}
    },
  )
  const proxyPort = Number(ns.match[1])
  const endpoint = `http://127.0.0.1:${proxyPort}/files/`
  const plans: Planned[] = []
  for (let i = 0; i < 15; i++) {
    const protocol = (['tus', 6, 8] as const)[i % 3] ?? 6
    const size = rng.int(128 * KiB, 1024 * KiB)
    const data = Buffer.alloc(size)
    for (let j = 0; j < size; j += 4) data.writeUInt32LE(Math.floor(rng.next() * 2 ** 32), Math.min(j, size - 4))
    plans.push({ name: `#${i} ${protocol}`, protocol, data, acked: [], heads: [] })
  }
  const transport = new NodeHttpTransport({ agent: new Agent({ keepAlive: false }), idleTimeout: 2000 })
  let killing = true
  const killedAt: number[] = []
  const killer = (async () => {
    for (let k = 0; k < 3; k++) {
      await new Promise((r) => setTimeout(r, rng.int(700, 1600)))
      killedAt.push(Date.now())
      await kill9(srv.child)
      await new Promise((r) => setTimeout(r, rng.int(50, 400)))
      srv = await serve(dir, port, server)
    }
    killing = false
  })()
  const sizes = new Map<string, number[]>()
  const watcher = setInterval(() => {
    for (const p of plans) {
      if (!p.url) continue
      const id = idOf(p.url)
      void stat(join(dir, id)).then(
        (st) => sizes.set(id, [...(sizes.get(id) ?? []), st.size]),
        () => {},
      )
    }
  }, 50)
  try {
    const results = await Promise.all(
      plans.map(async (p): Promise<UploadResult | Error> => {
        const up = await createUpload(p.data, {
          endpoint,
          interop: p.protocol === 'tus' ? 'tus' : p.protocol,
          chunkSize: 128 * KiB,
          transport,
          retry: { retries: 60, baseDelay: 20, maxDelay: 400 },
        })
        up.on('url', ({ url }) => {
          p.url = url
        })
        up.on('progress', ({ acked }) => {
          p.acked.push(acked)
        })
        try {
          const r = await up.start()
          p.doneAt = Date.now()
          return r
        } catch (e) {
          return e as Error
        }
      }),
    )
    await killer
    if (killing) broken.push('the kills did not all happen')
    for (const [i, r] of results.entries()) {
      const p = plans[i] as Planned
      if (r instanceof Error) {
        broken.push(`${p.name} failed: ${r.message}`)
        continue
      }
      if (!r.url) {
        broken.push(`${p.name}: no upload URL`)
        continue
      }
      const path = new URL(r.url).pathname
      // Asked directly (not through netsim) once the client is done: a HEAD during a transfer would take it over.
      p.heads.push(...p.acked.slice(-1))
      const offset = await head(port, path, p.protocol === 'tus', p.protocol === 'tus' ? 0 : p.protocol)
      if (offset !== undefined) p.heads.push(offset)
      if (offset !== p.data.length) broken.push(`${p.name}: HEAD offset ${offset} after completion`)
      const got = await download(port, path)
      if (got.status !== 200) broken.push(`${p.name} is not downloadable (stuck): ${got.status}`)
      else if (sha(got.body) !== sha(p.data)) broken.push(`${p.name}: downloaded bytes differ`)
      const stored = await readFile(join(dir, idOf(r.url))).catch(() => Buffer.alloc(0))
      if (!stored.equals(p.data)) broken.push(`${p.name}: stored bytes differ`)
      for (const [what, xs] of [
        ['acknowledged', p.acked],
        ['HEAD', p.heads],
        ['stored', sizes.get(idOf(r.url)) ?? []],
      ] as const)
        for (let j = 1; j < xs.length; j++)
          if ((xs[j] ?? 0) < (xs[j - 1] ?? 0)) {
            broken.push(`${p.name}: ${what} offset went down ${xs[j - 1]} → ${xs[j]}`)
            break
          }
    }
    const spanning = plans.filter((p) => (p.doneAt ?? Infinity) > (killedAt[0] ?? Infinity)).length
    return { broken, faults, spanning }
  } finally {
    clearInterval(watcher)
    await killer.catch(() => {})
    await kill9(srv.child)
    await kill9(ns.child)
    await rm(dir, { recursive: true, force: true })
    await rm(scenarioFile, { force: true })
  }
}
