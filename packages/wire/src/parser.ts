/**
 * An incremental HTTP/1.1 response parser (RFC 9112). It yields every response on a connection in order: any number
 * of 1xx interim responses (which never have content, RFC 9112 §6.3), then the final one, whose content is framed by
 * `Transfer-Encoding: chunked`, `Content-Length`, or the end of the connection. Responses to HEAD and 204/304
 * responses have no content.
 */
import type { HeaderList } from './types.js'

export class ParseError extends Error {
  override name = 'ParseError'
}

export interface ParsedHead {
  status: number
  reason: string
  version: string
  headers: HeaderList
}

export type ParseEvent =
  | { kind: 'interim'; head: ParsedHead }
  | { kind: 'final-head'; head: ParsedHead }
  | { kind: 'final'; head: ParsedHead; body: Uint8Array; truncated: boolean }

export interface ParserOptions {
  /** The request's method: responses to HEAD have no content. */
  method: string
  maxHeadBytes?: number
  /** Content beyond this is read and dropped (the response is marked truncated). */
  maxBodyBytes?: number
}

type State =
  | { s: 'head' }
  | { s: 'length'; left: number }
  | { s: 'chunk-size' }
  | { s: 'chunk-data'; left: number }
  | { s: 'chunk-crlf' }
  | { s: 'trailers' }
  | { s: 'until-close' }
  | { s: 'done' }

const CRLF = Buffer.from('\r\n')
const HEAD_END = Buffer.from('\r\n\r\n')

export class ResponseParser {
  private buf: Buffer = Buffer.alloc(0)
  private state: State = { s: 'head' }
  private head: ParsedHead | undefined
  private parts: Buffer[] = []
  private kept = 0
  private truncated = false
  private readonly maxHead: number
  private readonly maxBody: number

  constructor(private readonly opts: ParserOptions) {
    this.maxHead = opts.maxHeadBytes ?? 64 * 1024
    this.maxBody = opts.maxBodyBytes ?? 1024 * 1024
  }

  get done(): boolean {
    return this.state.s === 'done'
  }

  /** Whether the final response's content runs until the connection closes. */
  get readsUntilClose(): boolean {
    return this.state.s === 'until-close'
  }

  push(chunk: Uint8Array): ParseEvent[] {
    const out: ParseEvent[] = []
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk)
    for (;;) {
      const progressed = this.step(out)
      if (!progressed || this.state.s === 'done') break
    }
    return out
  }

  /** The connection ended: completes a close-delimited body, or reports what is missing. */
  end(): ParseEvent[] {
    if (this.state.s === 'until-close') return [this.finish()]
    if (this.state.s === 'done') return []
    if (this.state.s === 'head' && this.buf.length === 0) return []
    throw new ParseError(`connection closed in the middle of a response (${this.state.s})`)
  }

  private step(out: ParseEvent[]): boolean {
    const st = this.state
    switch (st.s) {
      case 'head':
        return this.readHead(out)
      case 'length': {
        if (this.buf.length === 0) return false
        const n = Math.min(st.left, this.buf.length)
        this.keep(this.buf.subarray(0, n))
        this.buf = this.buf.subarray(n)
        st.left -= n
        if (st.left === 0) out.push(this.finish())
        return true
      }
      case 'chunk-size': {
        const i = this.buf.indexOf(CRLF)
        if (i < 0) return this.guardLine()
        const line = this.buf.subarray(0, i).toString('latin1')
        this.buf = this.buf.subarray(i + 2)
        const size = line.split(';', 1)[0]!.trim()
        if (!/^[0-9a-fA-F]{1,12}$/.test(size)) throw new ParseError(`invalid chunk size line: ${JSON.stringify(line)}`)
        const n = Number.parseInt(size, 16)
        this.state = n === 0 ? { s: 'trailers' } : { s: 'chunk-data', left: n }
        return true
      }
      case 'chunk-data': {
        if (this.buf.length === 0) return false
        const n = Math.min(st.left, this.buf.length)
        this.keep(this.buf.subarray(0, n))
        this.buf = this.buf.subarray(n)
        st.left -= n
        if (st.left === 0) this.state = { s: 'chunk-crlf' }
        return true
      }
      case 'chunk-crlf': {
        if (this.buf.length < 2) return false
        if (this.buf[0] !== 13 || this.buf[1] !== 10) throw new ParseError('chunk data not followed by CRLF')
        this.buf = this.buf.subarray(2)
        this.state = { s: 'chunk-size' }
        return true
      }
      case 'trailers': {
        const i = this.buf.indexOf(CRLF)
        if (i < 0) return this.guardLine()
        const line = this.buf.subarray(0, i)
        this.buf = this.buf.subarray(i + 2)
        if (line.length === 0) out.push(this.finish())
        return true
      }
      case 'until-close':
        if (this.buf.length === 0) return false
        this.keep(this.buf)
        this.buf = Buffer.alloc(0)
        return false
      case 'done':
        return false
    }
  }

  private guardLine(): false {
    if (this.buf.length > 8192) throw new ParseError('chunk line too long')
    return false
  }

  private readHead(out: ParseEvent[]): boolean {
    // Tolerate stray CRLFs between messages (RFC 9112 §2.2).
    while (this.buf.length >= 2 && this.buf[0] === 13 && this.buf[1] === 10) this.buf = this.buf.subarray(2)
    const end = this.buf.indexOf(HEAD_END)
    if (end < 0) {
      if (this.buf.length > this.maxHead) throw new ParseError(`response head exceeds ${this.maxHead} bytes`)
      return false
    }
    const head = parseHead(this.buf.subarray(0, end).toString('latin1'))
    this.buf = this.buf.subarray(end + 4)
    if (head.status >= 100 && head.status < 200 && head.status !== 101) {
      out.push({ kind: 'interim', head })
      return true
    }
    this.head = head
    out.push({ kind: 'final-head', head })
    this.state = this.framing(head)
    if (this.state.s === 'done') {
      this.state = { s: 'head' }
      out.push(this.finish())
    }
    return true
  }

  private framing(head: ParsedHead): State {
    if (this.opts.method.toUpperCase() === 'HEAD' || head.status === 204 || head.status === 304 || head.status === 101)
      return { s: 'done' }
    const te = fieldOf(head.headers, 'transfer-encoding')
    if (te !== undefined) {
      const codings = te.split(',').map((c) => c.trim().toLowerCase())
      if (codings[codings.length - 1] === 'chunked') return { s: 'chunk-size' }
      return { s: 'until-close' }
    }
    const cl = fieldOf(head.headers, 'content-length')
    if (cl !== undefined) {
      const values = new Set(cl.split(',').map((v) => v.trim()))
      const [v] = [...values]
      if (values.size !== 1 || !/^\d{1,15}$/.test(v!)) throw new ParseError(`invalid Content-Length: ${cl}`)
      const n = Number(v)
      return n === 0 ? { s: 'done' } : { s: 'length', left: n }
    }
    return { s: 'until-close' }
  }

  private keep(b: Uint8Array): void {
    const room = this.maxBody - this.kept
    if (room <= 0) {
      if (b.length) this.truncated = true
      return
    }
    const part = Buffer.from(b.subarray(0, room))
    if (b.length > room) this.truncated = true
    this.parts.push(part)
    this.kept += part.length
  }

  private finish(): ParseEvent {
    const head = this.head!
    const body = Buffer.concat(this.parts)
    const truncated = this.truncated
    this.parts = []
    this.kept = 0
    this.truncated = false
    this.state = { s: 'done' }
    return { kind: 'final', head, body, truncated }
  }
}

function fieldOf(headers: HeaderList, name: string): string | undefined {
  const values = headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v)
  return values.length ? values.join(', ') : undefined
}

/** Parses a status line and field lines (obsolete line folding is joined with a space, RFC 9112 §5.2). */
export function parseHead(text: string): ParsedHead {
  const lines = text.split('\r\n')
  const statusLine = lines.shift() ?? ''
  const m = /^(HTTP\/\d(?:\.\d)?) (\d{3})(?: (.*))?$/.exec(statusLine)
  if (!m) throw new ParseError(`not an HTTP/1.x status line: ${JSON.stringify(statusLine.slice(0, 80))}`)
  const headers: HeaderList = []
  for (const line of lines) {
    if (/^[ \t]/.test(line) && headers.length) {
      const last = headers[headers.length - 1]!
      last[1] = `${last[1]} ${line.trim()}`
      continue
    }
    const i = line.indexOf(':')
    if (i <= 0) throw new ParseError(`invalid field line: ${JSON.stringify(line.slice(0, 80))}`)
    headers.push([line.slice(0, i).trim(), line.slice(i + 1).trim()])
  }
  return { version: m[1]!, status: Number(m[2]), reason: m[3] ?? '', headers }
}
