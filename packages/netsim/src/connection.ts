/**
 * A proxied TCP connection: the client socket, the upstream socket, and a link for each direction. It carries out
 * the connection-wide actions faults ask for (close, reset, freeze) and cleans up once both sockets are gone.
 */
import type { Socket } from 'node:net'
import type { ConnectionControl, FaultEvent } from './chain.js'
import type { RequestRecord, SelectedFault } from './http-faults.js'
import type { RequestHead } from './http1-parser.js'
import { Link } from './link.js'
import { Rng } from './rng.js'
import type { Stream, ToxicSpec } from './toxic-spec.js'

/** What a connection needs from its proxy. */
export interface ProxyHooks {
  readonly name: string
  readonly seed: number
  toxics(): readonly ToxicSpec[]
  tracing(): boolean
  trace(event: FaultEvent): void
  /** Per-toxic state shared by all of the proxy's connections. */
  shared<T>(toxic: string, make: () => T): T
  /** Counts the request against every HTTP toxic and returns the faults chosen for it. */
  selectHttpFaults(head: RequestHead): SelectedFault[]
}

export class Connection implements ConnectionControl {
  readonly up: Link
  readonly down: Link
  /** Requests whose final response has not started yet, oldest first (HTTP/1.1 answers in order). */
  readonly requests: RequestRecord[] = []
  readonly #draws = new Map<string, number>()
  #finished = false
  #open = 2

  constructor(
    readonly proxy: ProxyHooks,
    readonly index: number,
    readonly client: Socket,
    readonly upstream: Socket,
    private readonly onGone: (c: Connection) => void,
  ) {
    this.up = new Link('upstream', client, upstream, this)
    this.down = new Link('downstream', upstream, client, this)
    for (const [s, peer] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      s.setNoDelay(true)
      s.on('error', (err: NodeJS.ErrnoException) => {
        // A reset from one peer is passed on as a reset, so the other peer sees what it would without the proxy.
        if (peer.destroyed) return
        if (err.code === 'ECONNRESET') peer.resetAndDestroy()
        else peer.destroy()
      })
      s.on('close', () => {
        if (--this.#open === 0) this.#gone()
      })
    }
  }

  start(): void {
    this.sync()
    this.up.start()
    this.down.start()
  }

  sync(): void {
    const toxics = this.proxy.toxics()
    this.up.sync(toxics)
    this.down.sync(toxics)
  }

  other(link: Link): Link {
    return link === this.up ? this.down : this.up
  }

  /**
   * The draw deciding whether a toxic affects this connection: fixed per (connection, stream, toxic), so raising a
   * toxic's toxicity later only adds connections, and the same seed picks the same ones.
   */
  draw(stream: Stream, toxic: string): number {
    const key = `${stream}\u0000${toxic}`
    let d = this.#draws.get(key)
    if (d === undefined) {
      d = Rng.derive(this.proxy.seed, this.proxy.name, 'toxicity', this.index, stream, toxic).next()
      this.#draws.set(key, d)
    }
    return d
  }

  /** Ends both sockets (FIN) and drops whatever is still in flight. */
  close(): void {
    this.#stopAll()
    for (const s of [this.client, this.upstream]) endThenDestroy(s)
  }

  /** A `close` marker reached `link`'s writer: its destination gets FIN after the bytes before it; the rest goes. */
  closeFrom(link: Link): void {
    this.#stopAll()
    endThenDestroy(link.dst)
    link.src.destroy()
  }

  reset(): void {
    this.#stopAll()
    for (const s of [this.client, this.upstream]) if (!s.destroyed) s.resetAndDestroy()
  }

  freeze(): void {
    this.up.freeze()
    this.down.freeze()
  }

  /** Tears everything down at once (the proxy is stopping). */
  destroy(): void {
    this.#stopAll()
    this.client.destroy()
    this.upstream.destroy()
  }

  #stopAll(): void {
    for (const l of [this.up, this.down]) {
      l.stopReading()
      l.destroy()
    }
  }

  #gone(): void {
    if (this.#finished) return
    this.#finished = true
    this.up.destroy()
    this.down.destroy()
    this.onGone(this)
  }
}

function endThenDestroy(s: Socket): void {
  if (s.destroyed) return
  s.end(() => s.destroy())
  // end() alone waits for the peer to finish too; a peer that never does must not pin the socket.
  setTimeout(() => s.destroy(), 2000).unref()
}
