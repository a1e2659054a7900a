/**
 * The HTTP-aware faults toxiproxy cannot express. Each link has one `HttpStage` at the head of its chain; it frames
 * the byte stream with `Http1Tracker` and, for the requests a toxic selected, cuts a request body, holds a whole body
 * back (nginx's request buffering), strips or delays 1xx interim responses, or swallows a final response. Requests
 * are selected when their head is seen on the request side; the response side looks the choice up in the
 * connection's queue of outstanding requests, since HTTP/1.1 answers requests in order.
 */
import { type Item, now, type Sink, TimedQueue } from './chain.js'
import { Http1Tracker, type Piece, type RequestHead, type ResponseHead } from './http1-parser.js'
import type { Link } from './link.js'
import type { Rng } from './rng.js'
import { type CutAction, type HttpToxicSpec, isHttpToxic } from './toxic-spec.js'

/** An HTTP toxic chosen for one request. */
export interface SelectedFault {
  spec: HttpToxicSpec
  /** The request's number among those the toxic matched, from 1. */
  n: number
  /** Draws for this request only (the random cut offset). */
  rng: Rng
}

export interface RequestRecord {
  head: RequestHead
  faults: SelectedFault[]
}

type Of<T extends HttpToxicSpec['type']> = SelectedFault & { spec: Extract<HttpToxicSpec, { type: T }> }

function find<T extends HttpToxicSpec['type']>(rec: RequestRecord | undefined, ...types: T[]): Of<T> | undefined {
  return rec?.faults.find((f): f is Of<T> => (types as string[]).includes(f.spec.type))
}

const interimMatches = (wanted: number, status: number): boolean => wanted === 0 || wanted === status

/** Used as the upper bound of a random cut when the body length is not known in advance (chunked). */
const DEFAULT_RANDOM_SPAN = 65536

export class HttpStage implements Sink {
  next: Sink
  readonly tracker: Http1Tracker
  /** Everything leaves through this queue so that a delayed 1xx holds back what follows it. */
  readonly #out: TimedQueue
  #holdUntil = 0
  #dead = false
  /** Request side. */
  #cut: { fault: Of<'http_cut_body' | 'http_half_open'>; at: number; seen: number } | undefined
  #buffer: { fault: Of<'http_buffer_request'>; parts: Buffer[]; bytes: number } | undefined
  /** Response side. */
  #current: RequestRecord | undefined
  #swallow: Of<'http_drop_response'> | undefined

  constructor(
    private readonly link: Link,
    next: Sink,
  ) {
    this.next = next
    this.#out = new TimedQueue((item) => this.next.push(item))
    const conn = link.conn
    // Heads are held whole only while the proxy has HTTP toxics: otherwise non-HTTP traffic would stall on them.
    const holdHeads = (): boolean => conn.proxy.toxics().some(isHttpToxic)
    this.tracker =
      link.stream === 'upstream'
        ? new Http1Tracker('request', { holdHeads })
        : new Http1Tracker('response', {
            holdHeads,
            nextRequestMethod: () => {
              this.#current = conn.requests.shift()
              return this.#current?.head.method
            },
          })
  }

  held(): number {
    // A buffered request body is deliberately not counted: holding it must not stop us reading the rest of it.
    return this.#out.bytes
  }

  push(item: Item): void {
    if (this.#dead) return
    if (typeof item === 'string') {
      if (item === 'end') for (const p of this.tracker.end()) this.#piece(p)
      if (item === 'end' && this.#buffer) this.#releaseBuffer()
      if (!this.#dead) this.#forward(item)
      return
    }
    for (const p of this.tracker.feed(item)) {
      if (this.#dead) return
      this.#piece(p)
    }
  }

  destroy(): void {
    this.#dead = true
    this.#out.clear()
    this.#buffer = undefined
  }

  #forward(item: Item): void {
    if (this.#buffer && typeof item !== 'string') {
      this.#buffer.parts.push(item)
      return
    }
    this.#out.enqueue(item, this.#holdUntil)
  }

  #piece(p: Piece): void {
    if (this.link.stream === 'upstream') this.#requestPiece(p)
    else this.#responsePiece(p)
  }

  #trace(f: SelectedFault, fault: string, detail?: Record<string, number | string | boolean>): void {
    const proxy = this.link.conn.proxy
    if (!proxy.tracing()) return
    proxy.trace({
      proxy: proxy.name,
      connection: this.link.conn.index,
      stream: f.spec.stream,
      toxic: f.spec.name,
      type: f.spec.type,
      fault,
      request: f.n,
      ...(detail ? { detail } : {}),
    })
  }

  // ---- request side ----

  #requestPiece(p: Piece): void {
    switch (p.kind) {
      case 'raw':
      case 'head-part':
        this.#forward(p.bytes)
        return
      case 'head': {
        const head = p.head as RequestHead
        const rec: RequestRecord = { head, faults: this.link.conn.proxy.selectHttpFaults(head) }
        this.link.conn.requests.push(rec)
        const buffer = find(rec, 'http_buffer_request')
        if (buffer) this.#buffer = { fault: buffer, parts: [], bytes: 0 }
        this.#forward(p.bytes)
        const cut = find(rec, 'http_cut_body', 'http_half_open')
        if (cut) this.#armCut(cut, head)
        if (this.#cut && this.#cut.at === 0) this.#fireCut()
        return
      }
      case 'body':
        if (this.#buffer) {
          this.#buffer.bytes += p.bytes.length
          const max = this.#buffer.fault.spec.attributes.max_bytes
          if (max > 0 && this.#buffer.bytes > max) {
            this.#tooLarge()
            return
          }
        }
        if (this.#cut && p.payload) {
          const cut = this.#cut
          const room = cut.at - cut.seen
          if (p.bytes.length >= room) {
            if (room > 0) this.#forward(p.bytes.subarray(0, room))
            cut.seen = cut.at
            this.#fireCut()
            return
          }
          cut.seen += p.bytes.length
        }
        this.#forward(p.bytes)
        return
      case 'end':
        if (this.#cut) {
          this.#trace(this.#cut.fault, 'cut-missed', { offset: this.#cut.at, received: this.#cut.seen })
          this.#cut = undefined
        }
        if (this.#buffer) this.#releaseBuffer()
        return
    }
  }

  #armCut(fault: Of<'http_cut_body' | 'http_half_open'>, head: RequestHead): void {
    const a = fault.spec.attributes
    const length = head.framing.kind === 'length' ? head.framing.length : head.framing.kind === 'none' ? 0 : undefined
    let at = a.after_bytes
    if (fault.spec.type === 'http_cut_body' && fault.spec.attributes.random) {
      const span = length ?? (a.after_bytes > 0 ? a.after_bytes : DEFAULT_RANDOM_SPAN)
      at = span > 0 ? fault.rng.int(0, span - 1) : 0
    }
    // Cutting at or past the end of a known body would deliver the whole request: that is no cut at all.
    if (at > 0 && length !== undefined && at >= length) {
      this.#trace(fault, 'cut-missed', { offset: at, length })
      return
    }
    this.#cut = { fault, at, seen: 0 }
  }

  #fireCut(): void {
    const cut = this.#cut!
    this.#cut = undefined
    const action: CutAction = cut.fault.spec.type === 'http_cut_body' ? cut.fault.spec.attributes.action : 'hang'
    this.#trace(cut.fault, 'cut', { offset: cut.at, action })
    if (this.#buffer) this.#releaseBuffer()
    this.#terminate(action)
  }

  #releaseBuffer(): void {
    const b = this.#buffer!
    this.#buffer = undefined
    this.#trace(b.fault, 'buffered', { bytes: b.bytes })
    for (const part of b.parts) this.#out.enqueue(part, this.#holdUntil)
  }

  /** Like nginx past `client_max_body_size`: answer 413 to the client and close; the server never sees the request. */
  #tooLarge(): void {
    const b = this.#buffer!
    this.#buffer = undefined
    this.#trace(b.fault, 'too-large', { bytes: b.bytes, max: b.fault.spec.attributes.max_bytes })
    this.#dead = true
    this.link.stopReading()
    const other = this.link.other
    other.stopReading()
    other.http.#inject(
      Buffer.from('HTTP/1.1 413 Content Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n', 'latin1'),
    )
    other.http.#inject('close')
  }

  /** Puts bytes into this link's output directly, past the tracker (a response netsim makes up itself). */
  #inject(item: Item): void {
    this.#out.enqueue(item, this.#holdUntil)
  }

  /**
   * Ends the connection the way `action` says, after the bytes already forwarded: `close` sends FIN after them,
   * `reset` sends RST, `hang` stops both directions and leaves both sockets open.
   */
  #terminate(action: CutAction): void {
    this.#dead = true
    this.link.stopReading()
    if (action === 'hang') {
      this.link.other.freeze()
      this.#out.enqueue('freeze', this.#holdUntil)
    } else {
      this.#out.enqueue(action, this.#holdUntil)
    }
  }

  // ---- response side ----

  #responsePiece(p: Piece): void {
    switch (p.kind) {
      case 'raw':
      case 'head-part':
        if (this.#swallow) return
        this.#forward(p.bytes)
        return
      case 'head': {
        const head = p.head as ResponseHead
        if (head.interim) {
          this.#interim(head, p.bytes)
          return
        }
        // The tracker has just taken this response's request off the queue (nextRequestMethod).
        if (head.status === 101) this.link.other.http.tracker.toPassthrough()
        const drop = find(this.#current, 'http_drop_response')
        if (drop) {
          this.#swallow = drop
          this.#trace(drop, 'drop-response', { status: head.status })
          return
        }
        this.#forward(p.bytes)
        return
      }
      case 'body':
        if (this.#swallow) return
        this.#forward(p.bytes)
        return
      case 'end':
        if (this.#swallow) this.#terminate(this.#swallow.spec.attributes.action)
        return
    }
  }

  #interim(head: ResponseHead, bytes: Buffer): void {
    const rec = this.link.conn.requests[0]
    const strip = find(rec, 'http_strip_1xx')
    if (strip && interimMatches(strip.spec.attributes.status, head.status)) {
      this.#trace(strip, 'strip-1xx', { status: head.status })
      return
    }
    const delay = find(rec, 'http_delay_1xx')
    if (delay && interimMatches(delay.spec.attributes.status, head.status)) {
      const ms = delay.spec.attributes.delay
      this.#trace(delay, 'delay-1xx', { status: head.status, ms })
      // Everything after the interim response waits too: a final response cannot overtake it.
      this.#holdUntil = Math.max(this.#holdUntil, now() + ms)
    }
    this.#forward(bytes)
  }
}
