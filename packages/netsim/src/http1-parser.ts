/**
 * A streaming HTTP/1.1 framing tracker (RFC 9112). It does not interpret messages; it only finds where each head,
 * body and message end lies in the byte stream, so that faults can target "request 3, body byte 1000". Heads are
 * gathered until complete (they are small and capped); body bytes are handed on as slices of the input, never
 * gathered. Anything it cannot frame (not HTTP, a protocol switch, a malformed head) turns it into a pass-through:
 * it must never break traffic it does not understand.
 */

export type Framing =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  /** A response delimited by the connection closing. */
  | { kind: 'until-close' }

export interface Header {
  /** Lower-cased. */
  name: string
  value: string
}

export interface RequestHead {
  kind: 'request'
  method: string
  target: string
  headers: Header[]
  framing: Framing
}

export interface ResponseHead {
  kind: 'response'
  status: number
  /** A 1xx other than 101: another response to the same request follows. */
  interim: boolean
  headers: Header[]
  framing: Framing
}

export type Piece =
  | { kind: 'head'; bytes: Buffer; head: RequestHead | ResponseHead }
  /** `payload` is false for chunked framing (size lines, CRLFs, trailers): bytes on the wire but not content. */
  | { kind: 'body'; bytes: Buffer; payload: boolean }
  | { kind: 'end' }
  /** Bytes the tracker does not frame. */
  | { kind: 'raw'; bytes: Buffer }
  /** The start of a head not yet complete, handed on early because heads are not being held (see `holdHeads`). */
  | { kind: 'head-part'; bytes: Buffer }

export interface TrackerOptions {
  /** Larger heads switch the tracker to pass-through. */
  maxHeadBytes?: number
  /** Response side: the method of the request the next final response answers (HEAD and CONNECT change framing). */
  nextRequestMethod?: () => string | undefined
  /**
   * Whether an incomplete head is held until it is complete (so a fault can drop or delay it whole). When false,
   * head bytes are handed on as they arrive: traffic that is not HTTP at all must not wait for a blank line.
   */
  holdHeads?: () => boolean
}

type State =
  | { s: 'head' }
  | { s: 'length'; left: number }
  | { s: 'until-close' }
  | { s: 'chunk-size' }
  | { s: 'chunk-data'; left: number }
  | { s: 'chunk-data-end' }
  | { s: 'trailer' }
  | { s: 'raw' }

class FramingError extends Error {}

export function headerValue(headers: readonly Header[], name: string): string | undefined {
  const found = headers.filter((h) => h.name === name)
  return found.length === 0 ? undefined : found.map((h) => h.value).join(', ')
}

const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

function parseHeaders(lines: string[]): Header[] {
  const headers: Header[] = []
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon <= 0) throw new FramingError(`malformed header line ${JSON.stringify(line.slice(0, 40))}`)
    const name = line.slice(0, colon)
    if (!tokenPattern.test(name)) throw new FramingError(`malformed header name ${JSON.stringify(name)}`)
    headers.push({ name: name.toLowerCase(), value: line.slice(colon + 1).trim() })
  }
  return headers
}

/** RFC 9112 §6.3: chunked if it is the last transfer coding; otherwise Content-Length; `undefined` if neither. */
function bodyFraming(headers: Header[], isRequest: boolean): Framing | undefined {
  const te = headerValue(headers, 'transfer-encoding')
  if (te !== undefined) {
    const last = te.split(',').at(-1)?.trim().toLowerCase()
    if (last === 'chunked') return { kind: 'chunked' }
    // A request body with a transfer coding other than chunked cannot be framed (§6.3 rule 4).
    if (isRequest) throw new FramingError(`unframeable request transfer-encoding ${te}`)
    return { kind: 'until-close' }
  }
  const cl = headerValue(headers, 'content-length')
  if (cl === undefined) return undefined
  const values = new Set(cl.split(',').map((v) => v.trim()))
  if (values.size !== 1) throw new FramingError(`conflicting content-length ${cl}`)
  const v = [...values][0]!
  if (!/^\d{1,15}$/.test(v)) throw new FramingError(`invalid content-length ${cl}`)
  return { kind: 'length', length: Number(v) }
}

export class Http1Tracker {
  #state: State = { s: 'head' }
  #headParts: Buffer[] = []
  #headLength = 0
  /** How many bytes of the pending head were already handed on as `head-part`. */
  #headEmitted = 0
  #line: Buffer[] = []
  #lineLength = 0
  readonly #maxHead: number
  /** After a CONNECT request or a 101/2xx-to-CONNECT response, the bytes are no longer HTTP. */
  #tunnelAfterMessage = false

  constructor(
    readonly side: 'request' | 'response',
    private readonly options: TrackerOptions = {},
  ) {
    this.#maxHead = options.maxHeadBytes ?? 64 * 1024
  }

  /** True once the tracker has given up framing and passes bytes through. */
  get passthrough(): boolean {
    return this.#state.s === 'raw'
  }

  /** Stops framing from here on (the other side switched protocols). */
  toPassthrough(): void {
    this.#state = { s: 'raw' }
  }

  /** Between messages: nothing of a message has been seen yet. */
  get idle(): boolean {
    return this.#state.s === 'head' && this.#headLength === 0
  }

  feed(chunk: Buffer): Piece[] {
    const out: Piece[] = []
    let i = 0
    while (i < chunk.length) {
      const st = this.#state
      switch (st.s) {
        case 'raw':
          out.push({ kind: 'raw', bytes: chunk.subarray(i) })
          return out
        case 'head':
          i = this.#feedHead(chunk, i, out)
          break
        case 'length': {
          const n = Math.min(st.left, chunk.length - i)
          out.push({ kind: 'body', bytes: chunk.subarray(i, i + n), payload: true })
          i += n
          st.left -= n
          if (st.left === 0) this.#finish(out)
          break
        }
        case 'until-close':
          out.push({ kind: 'body', bytes: chunk.subarray(i), payload: true })
          return out
        case 'chunk-data': {
          const n = Math.min(st.left, chunk.length - i)
          out.push({ kind: 'body', bytes: chunk.subarray(i, i + n), payload: true })
          i += n
          st.left -= n
          if (st.left === 0) this.#state = { s: 'chunk-data-end' }
          break
        }
        case 'chunk-size':
        case 'chunk-data-end':
        case 'trailer':
          i = this.#feedLine(chunk, i, out)
          break
      }
    }
    return out
  }

  /** The connection ended: a response delimited by close is complete now. */
  end(): Piece[] {
    if (this.#state.s === 'until-close') {
      this.#state = { s: 'head' }
      return [{ kind: 'end' }]
    }
    return []
  }

  #giveUp(out: Piece[], bytes: Buffer): number {
    this.#state = { s: 'raw' }
    if (bytes.length > 0) out.push({ kind: 'raw', bytes })
    return Number.POSITIVE_INFINITY
  }

  #feedHead(chunk: Buffer, i: number, out: Piece[]): number {
    const prior = this.#headLength
    const emitted = this.#headEmitted
    const rest = chunk.subarray(i)
    const buf = prior === 0 ? rest : Buffer.concat([...this.#headParts, rest])
    // Search from just before the old end: the blank line may straddle the chunk boundary.
    const end = findHeadEnd(buf, Math.max(0, prior - 3))
    if (end < 0) {
      if (buf.length > this.#maxHead) return this.#giveUp(out, buf.subarray(emitted))
      this.#headParts = [buf]
      this.#headLength = buf.length
      if (!(this.options.holdHeads?.() ?? true)) {
        out.push({ kind: 'head-part', bytes: buf.subarray(emitted) })
        this.#headEmitted = buf.length
      }
      return chunk.length
    }
    this.#headParts = []
    this.#headLength = 0
    this.#headEmitted = 0
    let head: RequestHead | ResponseHead
    try {
      const whole = buf.subarray(0, end)
      head = this.side === 'request' ? this.#parseRequest(whole) : this.#parseResponse(whole)
    } catch (e) {
      if (e instanceof FramingError) return this.#giveUp(out, buf.subarray(emitted))
      throw e
    }
    const bytes = buf.subarray(emitted, end)
    out.push({ kind: 'head', bytes, head })
    // An interim response is not a message of its own for the caller: the final response to the request follows.
    if (head.kind === 'response' && head.interim) return i + (end - prior)
    switch (head.framing.kind) {
      case 'none':
        this.#finish(out)
        break
      case 'length':
        if (head.framing.length === 0) this.#finish(out)
        else this.#state = { s: 'length', left: head.framing.length }
        break
      case 'chunked':
        this.#state = { s: 'chunk-size' }
        break
      case 'until-close':
        this.#state = { s: 'until-close' }
        break
    }
    return i + (end - prior)
  }

  #finish(out: Piece[]): void {
    out.push({ kind: 'end' })
    this.#state = this.#tunnelAfterMessage ? { s: 'raw' } : { s: 'head' }
  }

  #parseRequest(bytes: Buffer): RequestHead {
    const lines = headLines(bytes)
    const [method, target, version, extra] = (lines.shift() ?? '').split(' ')
    if (!method || !tokenPattern.test(method) || !target || !version?.startsWith('HTTP/1.') || extra !== undefined) {
      throw new FramingError('malformed request line')
    }
    const headers = parseHeaders(lines)
    if (method === 'CONNECT') this.#tunnelAfterMessage = true
    return { kind: 'request', method, target, headers, framing: bodyFraming(headers, true) ?? { kind: 'none' } }
  }

  #parseResponse(bytes: Buffer): ResponseHead {
    const lines = headLines(bytes)
    const statusLine = lines.shift() ?? ''
    const m = /^HTTP\/1\.\d (\d{3})(?: .*)?$/.exec(statusLine)
    if (!m) throw new FramingError('malformed status line')
    const status = Number(m[1])
    const headers = parseHeaders(lines)
    if (status >= 100 && status < 200 && status !== 101) {
      return { kind: 'response', status, interim: true, headers, framing: { kind: 'none' } }
    }
    const method = this.options.nextRequestMethod?.() ?? 'GET'
    let framing: Framing
    if (status === 101 || (method === 'CONNECT' && status >= 200 && status < 300)) {
      this.#tunnelAfterMessage = true
      framing = { kind: 'none' }
    } else if (method === 'HEAD' || status === 204 || status === 304) {
      framing = { kind: 'none' }
    } else {
      framing = bodyFraming(headers, false) ?? { kind: 'until-close' }
    }
    return { kind: 'response', status, interim: false, headers, framing }
  }

  /** Chunk-size lines, the CRLF after chunk data, and trailer lines: all framing bytes, read a line at a time. */
  #feedLine(chunk: Buffer, i: number, out: Piece[]): number {
    const lf = chunk.indexOf(10, i)
    const stop = lf < 0 ? chunk.length : lf + 1
    out.push({ kind: 'body', bytes: chunk.subarray(i, stop), payload: false })
    this.#line.push(chunk.subarray(i, stop))
    this.#lineLength += stop - i
    if (lf < 0) {
      if (this.#lineLength > 8192) return this.#giveUp(out, Buffer.alloc(0))
      return stop
    }
    const line = Buffer.concat(this.#line, this.#lineLength)
      .toString('latin1')
      .replace(/\r?\n$/, '')
    this.#line = []
    this.#lineLength = 0
    const st = this.#state
    if (st.s === 'chunk-size') {
      const size = line.split(';')[0]!.trim()
      if (!/^[0-9a-fA-F]{1,12}$/.test(size)) return this.#giveUp(out, chunk.subarray(stop))
      const n = Number.parseInt(size, 16)
      this.#state = n === 0 ? { s: 'trailer' } : { s: 'chunk-data', left: n }
    } else if (st.s === 'chunk-data-end') {
      if (line !== '') return this.#giveUp(out, chunk.subarray(stop))
      this.#state = { s: 'chunk-size' }
    } else if (line === '') {
      this.#finish(out)
    }
    return stop
  }
}

/** The offset just past the blank line ending a head (CRLFCRLF, or bare LFs), or -1. */
function findHeadEnd(buf: Buffer, from: number): number {
  // Leading blank lines before a request line are tolerated (RFC 9112 §2.2) and stay part of the head bytes.
  let start = from
  if (from === 0) while (start < buf.length && (buf[start] === 13 || buf[start] === 10)) start++
  for (let k = buf.indexOf(10, start); k >= 0; k = buf.indexOf(10, k + 1)) {
    if (buf[k + 1] === 10) return k + 2
    if (buf[k + 1] === 13 && buf[k + 2] === 10) return k + 3
  }
  return -1
}

function headLines(bytes: Buffer): string[] {
  return bytes
    .toString('latin1')
    .replace(/^[\r\n]+/, '')
    .split(/\r?\n/)
    .filter((l, idx, all) => !(l === '' && idx >= all.length - 2))
}
