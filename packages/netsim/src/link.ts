/**
 * One direction of a proxied connection: read from `src`, run the bytes through the HTTP stage and the TCP toxic
 * stages, write to `dst`. Backpressure is by volume: when the bytes held in stages plus the socket's write buffer pass
 * a high-water mark, reading from `src` pauses until they fall below a low one. That bounds memory, and a slow
 * receiver slows the sender, as a real network would.
 */
import type { Socket } from 'node:net'
import type { Item, Sink, Stage, StageContext } from './chain.js'
import type { Connection } from './connection.js'
import { HttpStage } from './http-faults.js'
import { Rng } from './rng.js'
import { isTcpToxic, type Stream, type TcpToxicSpec, type ToxicSpec } from './toxic-spec.js'
import { createStage } from './toxics/index.js'

/**
 * At most this much is held per direction: about 40 ms at 100 MB/s. Like a TCP window it caps throughput under a
 * latency toxic (4 MiB per 100 ms of latency is about 40 MB/s). Reading resumes while half of it is still queued, so
 * a short scheduling stall does not leave a paced stage with nothing to send.
 */
const HIGH_WATER = 4 * 1024 * 1024
const LOW_WATER = 2 * 1024 * 1024

class Writer implements Sink {
  constructor(private readonly link: Link) {}

  push(item: Item): void {
    const { link } = this
    const dst = link.dst
    if (link.frozen || dst.destroyed) return
    if (typeof item !== 'string') {
      if (!dst.writableEnded) dst.write(item)
      link.resume()
      return
    }
    switch (item) {
      case 'end':
        dst.end()
        break
      case 'close':
        link.conn.closeFrom(link)
        break
      case 'reset':
        // Let what was written reach the kernel first, so the peer can read it before the reset arrives.
        if (dst.writableLength === 0) link.conn.reset()
        else dst.write(Buffer.alloc(0), () => link.conn.reset())
        break
      case 'freeze':
        link.freeze()
        break
    }
  }
}

export class Link {
  readonly http: HttpStage
  readonly writer: Writer
  #stages = new Map<string, Stage>()
  #paused = false
  #stopped = false
  #frozen = false

  constructor(
    readonly stream: Stream,
    readonly src: Socket,
    readonly dst: Socket,
    readonly conn: Connection,
  ) {
    this.writer = new Writer(this)
    this.http = new HttpStage(this, this.writer)
  }

  get frozen(): boolean {
    return this.#frozen
  }

  /** The other direction of the same connection. */
  get other(): Link {
    return this.conn.other(this)
  }

  start(): void {
    this.src.on('data', (chunk: Buffer) => {
      if (this.#stopped) return
      this.http.push(chunk)
      if (!this.#paused && !this.#stopped && this.buffered() > HIGH_WATER) {
        this.#paused = true
        this.src.pause()
      }
    })
    this.src.on('end', () => {
      if (!this.#stopped) this.http.push('end')
    })
    this.dst.on('drain', () => this.resume())
  }

  buffered(): number {
    let n = this.dst.writableLength + this.http.held()
    for (const s of this.#stages.values()) n += s.held()
    return n
  }

  /** Called whenever bytes leave the chain: reading restarts once the backlog is small again. */
  resume(): void {
    if (this.#paused && !this.#stopped && this.buffered() < LOW_WATER) {
      this.#paused = false
      this.src.resume()
    }
  }

  /** Reads nothing more from `src`; what is already in the chain still goes out. */
  stopReading(): void {
    this.#stopped = true
    this.src.pause()
  }

  /** Forwards nothing more, closes nothing: the half-open connection of a peer that vanished. */
  freeze(): void {
    if (this.#frozen) return
    this.#frozen = true
    this.stopReading()
    this.destroy()
  }

  /** Reconciles the stages with the proxy's toxics for this stream. */
  sync(toxics: readonly ToxicSpec[]): void {
    if (this.#frozen) return
    const wanted = toxics.filter(
      (t): t is TcpToxicSpec =>
        t.stream === this.stream && isTcpToxic(t) && this.conn.draw(this.stream, t.name) < t.toxicity,
    )
    const names = new Set(wanted.map((t) => t.name))
    // Removed stages hand what they hold to the stage after them, in chain order, before anything is rewired.
    for (const [name, stage] of this.#stages) {
      if (!names.has(name)) {
        stage.flush()
        stage.destroy()
      }
    }
    const next = new Map<string, Stage>()
    for (const spec of wanted) {
      const existing = this.#stages.get(spec.name)
      if (existing) {
        if (existing.spec !== spec) existing.update(spec)
        next.set(spec.name, existing)
      } else {
        next.set(spec.name, createStage(spec, this.#context(spec), this.writer))
      }
    }
    this.#stages = next
    let prev: { next: Sink } = this.http
    for (const stage of next.values()) {
      prev.next = stage
      prev = stage
    }
    prev.next = this.writer
    this.resume()
  }

  #context(spec: TcpToxicSpec): StageContext {
    const { conn } = this
    const proxy = conn.proxy
    return {
      proxy: proxy.name,
      connection: conn.index,
      stream: this.stream,
      rng: Rng.derive(proxy.seed, proxy.name, 'conn', conn.index, this.stream, spec.name),
      conn,
      trace: (fault, detail) => {
        if (!proxy.tracing()) return
        proxy.trace({
          proxy: proxy.name,
          connection: conn.index,
          stream: this.stream,
          toxic: spec.name,
          type: spec.type,
          fault,
          ...(detail ? { detail: detail() } : {}),
        })
      },
      shared: (make) => proxy.shared(spec.name, make),
    }
  }

  /** Stops every timer and drops what the stages hold. */
  destroy(): void {
    this.http.destroy()
    for (const s of this.#stages.values()) s.destroy()
    this.#stages.clear()
    this.http.next = this.writer
  }
}
