/**
 * One HTTP/1.1 request on its own connection, driven step by step: open, write the head, write content parts (with
 * any pause between them), watch interim responses as they arrive, await the final response, or cut the connection.
 * A deadline bounds the whole connection: when it passes the socket is destroyed, so nothing can hang.
 */
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import tls from 'node:tls'
import { type ParsedHead, ParseError, ResponseParser } from './parser.js'
import { type HeaderList, type RawRequest, type RawResponse, toHeaderList, type WireError } from './types.js'

export interface ConnectOptions {
  /** Hard deadline for everything on this connection, in milliseconds (default 10 000). */
  timeoutMs?: number
  /** Options for `https:` URLs (e.g. `rejectUnauthorized: false` for a self-signed test server). */
  tls?: tls.ConnectionOptions
  /** Content beyond this many bytes of a response is dropped (default 1 MiB). */
  maxBodyBytes?: number
}

export interface HeadOptions {
  /** Declare this `Content-Length` instead of the body's length (to send less than announced). */
  contentLength?: number
  /** Send the content with `Transfer-Encoding: chunked`. */
  chunked?: boolean
}

type Listener = (r: RawResponse) => void

export class WireConnection {
  readonly url: URL
  readonly interim: RawResponse[] = []
  final: RawResponse | undefined
  error: WireError | undefined
  closedByPeer = false
  cutByClient = false
  bytesSent = 0
  /** The head that was written, for reports. */
  sentHead: { method: string; target: string; headers: HeaderList } | undefined

  private readonly socket: net.Socket
  private readonly t0 = performance.now()
  private parser: ResponseParser | undefined
  private chunked = false
  private readonly timer: NodeJS.Timeout
  private readonly listeners: Listener[] = []
  private readonly donePromise: Promise<void>
  private resolveDone!: () => void
  private ended = false
  private readonly maxBodyBytes: number

  private constructor(url: URL, socket: net.Socket, opts: ConnectOptions) {
    this.url = url
    this.socket = socket
    this.maxBodyBytes = opts.maxBodyBytes ?? 1024 * 1024
    this.donePromise = new Promise((r) => {
      this.resolveDone = r
    })
    const ms = opts.timeoutMs ?? 10_000
    this.timer = setTimeout(() => this.fail('TIMEOUT', `no complete response within ${ms} ms`), ms)
    this.timer.unref?.()
    socket.on('data', (b: Buffer) => this.onData(b))
    socket.on('end', () => this.onPeerClose())
    socket.on('close', () => this.onPeerClose())
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (this.ended) return
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') {
        if (!this.final) this.closedByPeer = true
        this.fail('RESET', `connection reset by peer (${e.code})`)
      } else this.fail(errorCode(e), e.message)
    })
  }

  /** Opens a TCP (or TLS, for `https:`) connection to the URL's origin. Rejects with a `WireError`-shaped error. */
  static open(url: string | URL, opts: ConnectOptions = {}): Promise<WireConnection> {
    const u = new URL(url)
    const secure = u.protocol === 'https:'
    if (!secure && u.protocol !== 'http:')
      return Promise.reject(wireError('NETWORK', `unsupported scheme ${u.protocol}`))
    const port = Number(u.port || (secure ? 443 : 80))
    const host = u.hostname.replace(/^\[|\]$/g, '')
    const ms = opts.timeoutMs ?? 10_000
    return new Promise((resolve, reject) => {
      const socket = secure
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...opts.tls })
        : net.connect({ host, port })
      const timer = setTimeout(() => {
        socket.destroy()
        reject(wireError('TIMEOUT', `could not connect to ${u.host} within ${ms} ms`))
      }, ms)
      const onError = (e: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        socket.destroy()
        reject(wireError(errorCode(e), `cannot connect to ${u.host}: ${e.message}`))
      }
      socket.once('error', onError)
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer)
        socket.off('error', onError)
        socket.setNoDelay(true)
        resolve(new WireConnection(u, socket, opts))
      })
    })
  }

  /** Milliseconds since the connection was opened. */
  now(): number {
    return performance.now() - this.t0
  }

  get done(): boolean {
    return this.ended
  }

  /** Writes the request line and header fields; `Host`, `Connection: close` and the framing field are added. */
  writeHead(req: RawRequest, opts: HeadOptions = {}): void {
    const target = req.target ?? `${this.url.pathname}${this.url.search}`
    const headers = toHeaderList(req.headers)
    const has = (n: string) => headers.some(([k]) => k.toLowerCase() === n)
    if (!has('host')) headers.unshift(['Host', this.url.host])
    if (!has('connection')) headers.push(['Connection', 'close'])
    const bodyLength = req.body === undefined ? 0 : Buffer.byteLength(req.body)
    if (opts.chunked) {
      this.chunked = true
      if (!has('transfer-encoding')) headers.push(['Transfer-Encoding', 'chunked'])
    } else if (!has('content-length')) {
      const cl = opts.contentLength ?? bodyLength
      if (cl > 0 || !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(req.method.toUpperCase()))
        headers.push(['Content-Length', String(cl)])
    }
    this.parser = new ResponseParser({ method: req.method, maxBodyBytes: this.maxBodyBytes })
    this.sentHead = { method: req.method, target, headers }
    const lines = [`${req.method} ${target} HTTP/1.1`, ...headers.map(([k, v]) => `${k}: ${v}`), '', '']
    this.socket.write(lines.join('\r\n'), 'latin1')
  }

  /** Writes one part of the content; resolves once the socket took it. Writes after the end are dropped. */
  write(part: Uint8Array | string): Promise<void> {
    if (this.ended || this.socket.destroyed) return Promise.resolve()
    const data = typeof part === 'string' ? Buffer.from(part) : part
    if (data.length === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const payload = this.chunked
        ? Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')])
        : data
      this.bytesSent += data.length
      this.socket.write(payload, () => resolve())
      void this.donePromise.then(() => resolve())
    })
  }

  /** Ends chunked content (the last chunk); a no-op otherwise. */
  endBody(): void {
    if (this.chunked && !this.ended && !this.socket.destroyed) this.socket.write('0\r\n\r\n')
  }

  /** Destroys the connection abruptly (the client gives up mid-request). */
  cut(): void {
    if (this.ended) return
    this.cutByClient = true
    this.finishWith(undefined)
  }

  /** Calls `fn` for every interim response, including those already received. */
  onInterim(fn: Listener): void {
    for (const r of this.interim) fn(r)
    this.listeners.push(fn)
  }

  /** Resolves with the next interim response after `count` were seen, or undefined when the exchange ended first. */
  waitInterim(count = this.interim.length + 1, timeoutMs = 5_000): Promise<RawResponse | undefined> {
    if (this.interim.length >= count) return Promise.resolve(this.interim[count - 1])
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(undefined), timeoutMs)
      const check = () => {
        if (this.interim.length >= count) {
          clearTimeout(t)
          resolve(this.interim[count - 1])
        } else if (this.ended) {
          clearTimeout(t)
          resolve(undefined)
        }
      }
      this.listeners.push(check)
      void this.donePromise.then(check)
    })
  }

  /** Resolves when the final response is complete or the connection ended without one. */
  async finished(): Promise<RawResponse | undefined> {
    await this.donePromise
    return this.final
  }

  /** Waits at most `ms` for the exchange to end; true when it did. */
  async settle(ms: number): Promise<boolean> {
    let t: NodeJS.Timeout | undefined
    const timeout = new Promise<false>((r) => {
      t = setTimeout(() => r(false), ms)
    })
    const r = await Promise.race([this.donePromise.then(() => true as const), timeout])
    clearTimeout(t)
    return r
  }

  private onData(b: Buffer): void {
    if (this.ended || !this.parser) return
    try {
      for (const ev of this.parser.push(b)) this.onEvent(ev)
    } catch (e) {
      this.fail('PARSE', e instanceof ParseError ? e.message : String(e))
    }
  }

  private onEvent(ev: ReturnType<ResponseParser['push']>[number]): void {
    if (ev.kind === 'interim') {
      const r = this.response(ev.head, Buffer.alloc(0), false)
      this.interim.push(r)
      for (const l of [...this.listeners]) l(r)
    } else if (ev.kind === 'final') {
      this.finishWith(this.response(ev.head, ev.body, ev.truncated))
    }
  }

  private response(head: ParsedHead, body: Uint8Array, truncated: boolean): RawResponse {
    return { ...head, body, bodyTruncated: truncated, at: Math.round(this.now() * 10) / 10, time: Date.now() }
  }

  private onPeerClose(): void {
    if (this.ended) return
    if (this.parser?.readsUntilClose) {
      try {
        for (const ev of this.parser.end()) this.onEvent(ev)
        return
      } catch {}
    }
    this.closedByPeer = true
    this.fail('CLOSED', 'the server closed the connection before a complete final response')
  }

  private fail(code: WireError['code'], message: string): void {
    if (this.ended) return
    this.error = { code, message }
    this.finishWith(undefined)
  }

  private finishWith(final: RawResponse | undefined): void {
    if (this.ended) return
    this.ended = true
    this.final = final
    clearTimeout(this.timer)
    this.socket.destroy()
    this.resolveDone()
  }
}

function errorCode(e: NodeJS.ErrnoException): WireError['code'] {
  if (e.code === 'ECONNREFUSED') return 'ECONNREFUSED'
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return 'ENOTFOUND'
  if (e.code === 'ECONNRESET' || e.code === 'EPIPE') return 'RESET'
  return 'NETWORK'
}

/** An `Error` carrying a `WireError` code, thrown by `open`. */
export class WireConnectError extends Error implements WireError {
  override name = 'WireConnectError'
  constructor(
    readonly code: WireError['code'],
    message: string,
  ) {
    super(message)
  }
}

function wireError(code: WireError['code'], message: string): WireConnectError {
  return new WireConnectError(code, message)
}
