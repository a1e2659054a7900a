/**
 * Held uploads (issue 17): many slow uploads open at once, each trickling `chunkSize` bytes every `intervalMs`, the
 * way phones on mobile links upload. What it measures is the server's cost per open upload, not its throughput.
 *
 * - tus 1.0: a creation `POST` with the length, then one append `PATCH` on the same keep-alive connection whose body
 *   trickles.
 * - IETF draft (interop `interop`, default 8): one optimistic creation `POST` (complete) whose body trickles; the
 *   upload URL arrives in a 104 (or, from servers that send none, in the final response).
 * The fields of each request come from the protocol's codec (`speakerFor`), as everywhere in the load tester.
 *
 * One timer drives every upload (a wheel of `intervalMs / TICK_MS` slots), so the client stays cheap next to the
 * server it measures. Each chunk carries its upload index and chunk number in its first 8 bytes, so a server that
 * mixes uploads up fails verification (`verifyHeld`: GET every upload, compare length and sha256).
 */
import { createHash } from 'node:crypto'
import { Agent, type ClientRequest, type IncomingMessage, request } from 'node:http'
import { speakerFor } from './codec.js'

export interface HeldOptions {
  /** The creation URL (e.g. `http://127.0.0.1:1080/files/`). */
  url: string
  protocol: 'tus-v1' | 'ietf'
  /** Interop version for `ietf`. Default 8. */
  interop?: number
  uploads: number
  /** Default 16 KiB. */
  chunkSize?: number
  /** Chunks per upload. Default 20. */
  chunks?: number
  /** Default 500 ms. */
  intervalMs?: number
  /** Uploads start evenly spread over this time. Default 1000 ms. */
  rampMs?: number
  /** The whole run fails after this long. Default 120 s. */
  timeoutMs?: number
  /** Called once, when every upload has sent its first chunk (or failed): the plateau starts. */
  onHeld?: () => void
}

export interface HeldUpload {
  index: number
  location: string | undefined
  /** Final status of the request that carried the body (0: none). */
  status: number
  sent: number
  error: string | undefined
}

export interface HeldResult {
  protocol: HeldOptions['protocol']
  interop: number | undefined
  uploads: HeldUpload[]
  /** Uploads whose final response said success (2xx) with every byte sent. */
  completed: number
  /** From the first start to the moment every upload had sent its first chunk. */
  openMs: number
  wallMs: number
  /** Bytes per upload. */
  length: number
  chunkSize: number
  chunks: number
}

const TICK_MS = 10

/** The bytes of chunk `k` of upload `i`: one shared pattern, stamped with (i, k). */
function chunkOf(pattern: Buffer, i: number, k: number): Buffer {
  const b = Buffer.from(pattern)
  b.writeUInt32BE(i, 0)
  b.writeUInt32BE(k, 4)
  return b
}

function patternOf(size: number): Buffer {
  const b = Buffer.alloc(Math.max(size, 8))
  for (let j = 0; j < b.length; j++) b[j] = (j * 131 + 7) & 0xff
  return b.subarray(0, size)
}

interface Live {
  u: HeldUpload
  agent: Agent
  req: ClientRequest | undefined
  next: number
  done: (status: number, error?: string) => void
}

export async function runHeld(o: HeldOptions): Promise<HeldResult> {
  const chunkSize = o.chunkSize ?? 16 * 1024
  const chunks = o.chunks ?? 20
  const intervalMs = o.intervalMs ?? 500
  const rampMs = o.rampMs ?? 1000
  const length = chunkSize * chunks
  const pattern = patternOf(chunkSize)
  const base = new URL(o.url)
  const { codec, creationBodyFields } = speakerFor(o.protocol, o.protocol === 'ietf' ? (o.interop ?? 8) : undefined)
  const slots: Set<Live>[] = Array.from({ length: Math.max(1, Math.round(intervalMs / TICK_MS)) }, () => new Set())
  const uploads: HeldUpload[] = []
  const alive = new Set<Live>()
  const finished: Promise<void>[] = []
  let firstChunks = 0
  let openMs = 0
  const t0 = performance.now()
  let tick = 0
  const noteFirst = () => {
    if (++firstChunks === o.uploads) {
      openMs = performance.now() - t0
      o.onHeld?.()
    }
  }

  /** Opens the request that carries the body and puts the upload on the wheel. */
  const stream = (live: Live, target: URL, headers: Record<string, string | number>, method: string) => {
    const req = request(target, { method, agent: live.agent, headers: { ...headers, 'content-length': length } })
    live.req = req
    req.on('information', (info) => {
      const loc = info.headers['location']
      if (loc && !live.u.location) live.u.location = new URL(loc, target).href
    })
    req.once('response', (res: IncomingMessage) => {
      const loc = res.headers['location']
      if (loc && !live.u.location) live.u.location = new URL(loc, target).href
      res.resume()
      res.once('end', () => live.done(res.statusCode ?? 0))
      res.once('error', (e) => live.done(res.statusCode ?? 0, e.message))
    })
    req.once('error', (e: NodeJS.ErrnoException) => live.done(0, e.code ?? e.message))
    req.flushHeaders()
    slots[(tick + 1) % slots.length]?.add(live)
  }

  const start = (index: number) => {
    const u: HeldUpload = { index, location: undefined, status: 0, sent: 0, error: undefined }
    uploads.push(u)
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    finished.push(
      new Promise<void>((resolve) => {
        const live: Live = {
          u,
          agent,
          req: undefined,
          next: 0,
          done: (status, error) => {
            if (live.next === -1) return
            // An upload that ends before its first chunk will never be open: it counts towards "all are open".
            if (live.next === 0) noteFirst()
            live.next = -1
            alive.delete(live)
            for (const s of slots) s.delete(live)
            u.status = status
            u.error ??= error ?? (status >= 200 && status < 300 ? undefined : `status ${status}`)
            agent.destroy()
            resolve()
          },
        }
        alive.add(live)
        if (o.protocol === 'tus-v1') {
          const post = request(base, {
            method: 'POST',
            agent,
            headers: { ...codec.creationFields({ complete: false, length }), 'content-length': 0 },
          })
          post.once('response', (res) => {
            res.resume()
            const loc = res.headers['location']
            if (res.statusCode !== 201 || !loc) {
              u.error = `creation: status ${res.statusCode}`
              live.done(res.statusCode ?? 0, u.error)
              return
            }
            u.location = new URL(loc, base).href
            res.once('end', () => {
              const headers = codec.appendFields({ offset: 0, complete: true })
              stream(live, new URL(u.location as string), headers, 'PATCH')
            })
          })
          post.once('error', (e: NodeJS.ErrnoException) => live.done(0, `creation: ${e.code ?? e.message}`))
          post.end()
        } else {
          const headers = {
            'content-type': 'application/octet-stream',
            ...codec.creationFields({ complete: true, length }),
            ...creationBodyFields,
          }
          stream(live, base, headers, 'POST')
        }
      }),
    )
  }
  let started = 0
  const timeout = o.timeoutMs ?? 120_000
  let lastSlot = -1
  /** Starts the uploads whose time has come and writes the chunks of every slot passed since the last turn. */
  const turn = () => {
    const now = performance.now() - t0
    while (started < o.uploads && (started * rampMs) / o.uploads <= now) start(started++)
    // Timers run late under load: each slot passed since the last turn is served once.
    const target = Math.floor(now / TICK_MS)
    for (let t = Math.max(lastSlot + 1, target - slots.length + 1); t <= target; t++) {
      tick = t
      const slot = slots[t % slots.length] as Set<Live>
      for (const live of slot) {
        if (!live.req || live.next < 0) continue
        const k = live.next++
        live.req.write(chunkOf(pattern, live.u.index, k))
        live.u.sent += chunkSize
        if (k === 0) noteFirst()
        if (live.next === chunks) {
          live.req.end()
          slot.delete(live)
        }
      }
    }
    lastSlot = target
    if (now > timeout) for (const live of alive) live.agent.destroy()
  }
  const wheel = setInterval(turn, TICK_MS)
  try {
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (started < o.uploads) return
        clearInterval(check)
        resolve()
      }, TICK_MS)
    })
    await Promise.all(finished)
  } finally {
    clearInterval(wheel)
  }
  const completed = uploads.filter((u) => !u.error && u.sent === length && u.status >= 200 && u.status < 300).length
  const interop = o.protocol === 'ietf' ? (o.interop ?? 8) : undefined
  return {
    protocol: o.protocol,
    interop,
    uploads,
    completed,
    openMs,
    wallMs: performance.now() - t0,
    length,
    chunkSize,
    chunks,
  }
}

/** GETs every upload (at most `concurrency` at once) and compares its length and sha256; returns failures. */
export async function verifyHeld(r: HeldResult, concurrency = 16): Promise<string[]> {
  const headers = speakerFor(r.protocol, r.interop).codec.requestFields()
  const pattern = patternOf(r.chunkSize)
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  const failures: string[] = []
  const queue = [...r.uploads]
  const one = async (u: HeldUpload) => {
    if (!u.location) {
      failures.push(`upload ${u.index}: no location (${u.error ?? 'none'})`)
      return
    }
    const want = createHash('sha256')
    for (let k = 0; k < r.chunks; k++) want.update(chunkOf(pattern, u.index, k))
    const got = createHash('sha256')
    let n = 0
    const status = await new Promise<number>((resolve, reject) => {
      request(u.location as string, { agent, headers }, (res) => {
        res.on('data', (c: Buffer) => {
          got.update(c)
          n += c.length
        })
        res.once('end', () => resolve(res.statusCode ?? 0))
        res.once('error', reject)
      })
        .once('error', reject)
        .end()
    }).catch((e: Error) => {
      failures.push(`upload ${u.index}: GET ${e.message}`)
      return -1
    })
    if (status < 0) return
    if (status !== 200 || n !== r.length || got.digest('hex') !== want.digest('hex'))
      failures.push(`upload ${u.index}: GET ${status}, ${n} of ${r.length} B${n === r.length ? ', bytes differ' : ''}`)
  }
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let u = queue.shift(); u; u = queue.shift()) await one(u)
    }),
  )
  agent.destroy()
  return failures
}
