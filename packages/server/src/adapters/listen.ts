/**
 * `startServer`: one port that speaks HTTP/1.1 and h2c (prior knowledge, told apart by the HTTP/2 preface), or with
 * TLS, HTTP/2 and HTTP/1.1 chosen by ALPN. Closing stops accepting, lets running transfers persist what they have,
 * answers them, and then closes every connection.
 */
import {
  createServer as createHttp1,
  type Server as Http1Server,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import {
  createServer as createH2c,
  createSecureServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2'
import { createServer as createNet, type Server as NetServer, type Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { ServerOptions } from '../config.js'
import { UploadHandler } from '../handler.js'
import { ConnectionGuard, type ConnectionStats } from './guard.js'
import { createNodeHandler } from './node.js'
import { answerAnyConnect, answerClientError, answerConnect, answerExpectation } from './problems.js'

export interface ListenOptions extends ServerOptions {
  /** Default 127.0.0.1. */
  host?: string
  /** Default 1080; 0 picks a free port. */
  port?: number
  tls?: { cert: string | Buffer; key: string | Buffer }
  /**
   * Answers requests before the upload handler sees them (e.g. `@rufh/ui`'s page, `rufh serve --ui`): returns true
   * when it answered the request, false to leave it to the upload handler.
   */
  routes?: (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => boolean
  /**
   * Pending connections the kernel queues before it drops new attempts (listen(2) backlog; capped by
   * net.core.somaxconn). Default 4096: Node's 511 drops attempts when thousands of clients connect within a second
   * (docs/benchmarks.md, accept suite); a dropped SYN is retried by the client only after 1 s, then 3 s.
   */
  backlog?: number
}

export interface RunningServer {
  /** The upload-creation URL, e.g. `http://127.0.0.1:1080/files/`. */
  url: string
  port: number
  core: UploadHandler
  /** Connections accepted, open, refused by a cap, and closed for silence or a slow head. */
  connections: ConnectionStats
  /** Graceful: in-flight appends persist what they received; then every connection closes. */
  close(graceMs?: number): Promise<void>
}

export const DEFAULT_BACKLOG = 4096
const PREFACE = Buffer.from('PRI * HTTP/2.0')
/**
 * HTTP/2 flow control: with the default 64 KiB windows an upload stream stalls once per window round trip (peers
 * notes §11: uploads capped behind HTTP/2). Larger stream and connection windows let request bodies flow.
 */
const H2_SETTINGS = { initialWindowSize: 8 * 1024 * 1024 }
const H2_CONNECTION_WINDOW = 32 * 1024 * 1024

export async function startServer(options: ListenOptions = {}): Promise<RunningServer> {
  const core = new UploadHandler(options)
  const uploads = createNodeHandler(core)
  const routes = options.routes
  const handler: typeof uploads = routes
    ? Object.assign(
        (req: Parameters<typeof uploads>[0], res: Parameters<typeof uploads>[1]) => {
          if (!routes(req, res)) uploads(req, res)
        },
        { core },
      )
    : uploads
  const l = await listenNode({ core, handler }, options)
  return { ...l, url: `${l.url}${core.config.basePath}`, core }
}

/** A node:http/node:http2 request handler and the core whose config (limits, events) and close it answers with. */
export interface NodeEndpoint {
  core: UploadHandler
  handler: (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => void
  /** Ends running transfers before the connections close. Default `core.close()`. */
  close?: () => Promise<void>
}

export type NodeListenOptions = Pick<ListenOptions, 'host' | 'port' | 'tls' | 'backlog' | 'connections'> & {
  /** Every connection's readable and writable highWaterMark (and so its requests'). Default Node's (16 KiB). */
  highWaterMark?: number
}

export interface NodeListener {
  /** `http://host:port` (or https). */
  url: string
  port: number
  connections: ConnectionStats
  close(graceMs?: number): Promise<void>
}

/**
 * The listener of `startServer` for any handler (`rufh gateway` uses it too): HTTP/1.1 and h2c on one port, or TLS
 * with HTTP/2 and HTTP/1.1 by ALPN, with the connection guard and a graceful close.
 */
export async function listenNode(endpoint: NodeEndpoint, options: NodeListenOptions = {}): Promise<NodeListener> {
  const host = options.host ?? '127.0.0.1'
  const { core, handler } = endpoint
  const guard = new ConnectionGuard(options.connections, (what) => core.config.events.emit('connection', what))
  const sockets = new Set<Socket>()
  let front: NetServer | Http2SecureServer
  let http1: Http1Server | undefined
  let h2: Http2Server | Http2SecureServer

  if (options.tls) {
    const secure = createSecureServer(
      {
        cert: options.tls.cert,
        key: options.tls.key,
        allowHTTP1: true,
        settings: H2_SETTINGS,
        // The handshake starts with the client's first bytes: a connection that has not finished it within the idle
        // bound is as silent as a plain one that sent nothing (guard.ts); from then on the head bound runs.
        handshakeTimeout: guard.options.idleTimeoutMs,
        ...(options.highWaterMark !== undefined ? { highWaterMark: options.highWaterMark } : {}),
      },
      handler,
    )
    h2 = secure
    front = secure
    secure.on('secureConnection', (s: TLSSocket) => guard.track(s))
    // With a listener here, Node leaves closing the failed socket to it.
    secure.on('tlsClientError', (err: NodeJS.ErrnoException, s: TLSSocket) => {
      if (err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') guard.timedOut()
      s.destroy()
    })
    // HTTP/1.1 over TLS (allowHTTP1) runs Node's HTTP/1.1 parser on this server: its errors get problem bodies too.
    secure.on('clientError', answerClientError)
    secure.on('connect', answerAnyConnect)
    secure.on('checkExpectation', answerExpectation(core.config))
    secure.on('request', (req: Http2ServerRequest | IncomingMessage, res: Http2ServerResponse | ServerResponse) => {
      if (req.httpVersionMajor === 1) guard.request(req.socket as Socket, res)
    })
  } else {
    // requireHostHeader off: a request without Host is answered by rufh, with a problem body (adapters/node.ts).
    http1 = createHttp1({ requireHostHeader: false }, handler)
    // Uploads can take hours: no total request timeout; idle bodies are caught by the handler's idle timeout, and
    // heads by the connection guard.
    http1.requestTimeout = 0
    http1.on('clientError', answerClientError)
    http1.on('checkExpectation', answerExpectation(core.config))
    http1.on('connect', answerConnect)
    http1.on('request', (req: IncomingMessage, res: ServerResponse) => guard.request(req.socket, res))
    const h2c = createH2c({ settings: H2_SETTINGS }, handler)
    h2c.on('checkExpectation', answerExpectation(core.config))
    h2c.on('connect', answerAnyConnect)
    h2 = h2c
    const target = { http1, h2c }
    front = createNet(options.highWaterMark !== undefined ? { highWaterMark: options.highWaterMark } : {}, (socket) => {
      if (!guard.admit(socket)) return
      guard.track(socket)
      detect(socket, guard, target)
    })
  }
  front.on('connection', (s: Socket) => {
    if (s.destroyed) return
    // TLS: the plain listener above admits its sockets itself; here only the secure server's raw sockets.
    if (options.tls && !guard.admit(s)) return
    // A 104 and the final response are separate small writes: without this, Nagle's algorithm holds the second until
    // the client's (delayed) ACK of the first, adding ~40 ms to every creation (measured by rufh load).
    s.setNoDelay(true)
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  // What close() must end gracefully: HTTP/2 sessions (GOAWAY) and HTTP/1.1 connections (FIN after their output).
  const sessions = new Set<ServerHttp2Session>()
  const http1Sockets = new Set<Socket>()
  h2.on('session', (session: ServerHttp2Session) => {
    sessions.add(session)
    // TLS: Node makes the session inside its own secureConnection listener, before the one above tracks the socket;
    // untracked, its head deadline would treat the session's socket as HTTP/1.1 (and write an HTTP/1.1 408 into it).
    if (options.tls) guard.track(session.socket as unknown as Socket)
    guard.session(session)
    session.once('close', () => sessions.delete(session))
    session.once('localSettings', () => session.setLocalWindowSize(H2_CONNECTION_WINDOW))
  })
  const trackHttp1 = (s: Socket) => {
    http1Sockets.add(s)
    s.once('close', () => http1Sockets.delete(s))
  }
  http1?.on('connection', trackHttp1)
  if (options.tls)
    (front as Http2SecureServer).on('secureConnection', (s: TLSSocket) => {
      if (s.alpnProtocol !== 'h2') trackHttp1(s)
    })

  await new Promise<void>((resolve, reject) => {
    front.once('error', reject)
    front.listen({ port: options.port ?? 1080, host, backlog: options.backlog ?? DEFAULT_BACKLOG }, () => {
      front.off('error', reject)
      resolve()
    })
  })
  const address = front.address()
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 1080)
  const scheme = options.tls ? 'https' : 'http'
  const hostPart = host.includes(':') ? `[${host}]` : host
  return {
    url: `${scheme}://${hostPart}:${port}`,
    port,
    connections: guard.stats,
    async close(graceMs = 5_000) {
      const closed = new Promise<void>((r) => front.close(() => r()))
      // Running transfers stop, persist what they received, and are answered (503).
      await (endpoint.close ?? (() => core.close()))()
      await new Promise<void>((r) => setImmediate(r))
      // Then every connection ends: HTTP/2 sessions with GOAWAY, HTTP/1.1 connections after their pending output.
      // (The HTTP/1.1 server never listens itself, so Node's own idle-connection tracking does not see them.)
      for (const session of sessions) session.close()
      for (const s of http1Sockets) s.end()
      const timer = setTimeout(() => {
        for (const s of sockets) s.destroy()
      }, graceMs)
      await closed
      clearTimeout(timer)
    },
  }
}

/**
 * Tells HTTP/1.1 from h2c (prior knowledge) by the first bytes, without flowing mode: the HTTP/2 session reads from
 * the socket's handle directly, so the bytes go back into the stream's buffer before it is handed over. The choice
 * waits until the bytes seen either differ from the preface or cover it: a request whose first read is the single
 * byte `P` (a slow client, a proxy that flushes early) is a POST or PATCH as often as a preface.
 */
function detect(socket: Socket, guard: ConnectionGuard, to: { http1: Http1Server; h2c: Http2Server }): void {
  const seen: Buffer[] = []
  let length = 0
  const idle = guard.idle(() => socket.destroy())
  const onEnd = () => socket.destroy()
  socket.once('end', onEnd)
  const onReadable = () => {
    for (let chunk = socket.read() as Buffer | null; chunk; chunk = socket.read() as Buffer | null) {
      seen.push(chunk)
      length += chunk.length
    }
    if (length === 0) return
    clearTimeout(idle)
    const first = seen.length === 1 ? (seen[0] as Buffer) : Buffer.concat(seen)
    const n = Math.min(first.length, PREFACE.length)
    const prefix = first.subarray(0, n).equals(PREFACE.subarray(0, n))
    if (prefix && n < PREFACE.length) return
    socket.off('readable', onReadable)
    socket.off('end', onEnd)
    socket.unshift(first)
    ;(prefix ? to.h2c : to.http1).emit('connection', socket)
  }
  socket.on('readable', onReadable)
}
