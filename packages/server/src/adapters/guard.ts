/**
 * Connection bounds for `startServer`: how many connections are open (in all and per client address), how long a
 * connection may stay silent before its first byte, and how long a connection with no request in progress may take
 * to deliver a complete request head. Node's own `headersTimeout`/`requestTimeout` run only on sockets accepted by
 * the HTTP server itself; rufh hands sockets over from its own listener (h2c detection), so it bounds them here, the
 * same way for HTTP/1.1, h2c, and HTTP/1.1 or HTTP/2 over TLS.
 *
 * A request in progress is never timed out here: a body that keeps moving (a slow mobile upload) is bounded only by
 * the handler's idle timeout, which cuts a body that stops.
 */
import type { ServerHttp2Session, ServerHttp2Stream } from 'node:http2'
import type { Socket } from 'node:net'
import { RequestTimeoutError } from '@rufh/protocol'
import type { ConnectionOptions } from '../config.js'
import { rawProblem } from './problems.js'

export const CONNECTION_DEFAULTS: Required<ConnectionOptions> = {
  idleTimeoutMs: 10_000,
  headTimeoutMs: 30_000,
  maxConnections: 16_384,
  // Generous: many phones share one address behind carrier NAT; lower it where clients have addresses of their own.
  maxConnectionsPerAddress: 1024,
}

/** What happened to connections so far (for metrics and tests). */
export interface ConnectionStats {
  open: number
  accepted: number
  /** Closed at once because a cap was reached. */
  refused: number
  /** Closed because no byte, or no complete head, arrived in time. */
  timedOut: number
}

const CONN = Symbol('rufh.connection')

interface Conn {
  address: string
  timer: NodeJS.Timeout | undefined
  /** Requests (HTTP/1.1) or streams (HTTP/2) in progress. */
  busy: number
  /** `bytesRead` when the connection last became free: more when the timer fires means a partial head. */
  readAtFree: number
  session: ServerHttp2Session | undefined
}

type Tagged = Socket & { [CONN]?: Conn }

export class ConnectionGuard {
  readonly options: Required<ConnectionOptions>
  readonly stats: ConnectionStats = { open: 0, accepted: 0, refused: 0, timedOut: 0 }
  private readonly perAddress = new Map<string, number>()

  constructor(
    options: ConnectionOptions = {},
    /** Told of every connection accepted, refused, timed out and closed (metrics). */
    private readonly notify: (what: 'accepted' | 'refused' | 'timed-out' | 'closed') => void = () => {},
  ) {
    this.options = { ...CONNECTION_DEFAULTS, ...stripUndefined(options) }
  }

  /** Counts a new TCP connection; over a cap it is destroyed at once and false is returned. */
  admit(socket: Socket): boolean {
    const address = socket.remoteAddress ?? ''
    const mine = this.perAddress.get(address) ?? 0
    if (this.stats.open >= this.options.maxConnections || mine >= this.options.maxConnectionsPerAddress) {
      this.stats.refused++
      this.notify('refused')
      socket.destroy()
      return false
    }
    this.stats.open++
    this.stats.accepted++
    this.notify('accepted')
    this.perAddress.set(address, mine + 1)
    socket.once('close', () => {
      this.stats.open--
      this.notify('closed')
      const n = (this.perAddress.get(address) ?? 1) - 1
      if (n <= 0) this.perAddress.delete(address)
      else this.perAddress.set(address, n)
    })
    return true
  }

  /**
   * Starts bounding `socket` (the one that carries HTTP: the TCP socket, or the TLS socket): it is free (no request in
   * progress) until a request starts.
   */
  track(socket: Socket): void {
    // Over TLS an h2 session is made (and tracked, listen.ts) before the server's own secureConnection listeners run.
    if ((socket as Tagged)[CONN]) return
    const conn: Conn = {
      address: socket.remoteAddress ?? '',
      timer: undefined,
      busy: 0,
      readAtFree: 0,
      session: undefined,
    }
    ;(socket as Tagged)[CONN] = conn
    this.free(socket, conn)
    socket.once('close', () => clearTimeout(conn.timer))
  }

  /** An HTTP/1.1 request's head has arrived: no head deadline until its response is done. */
  request(socket: Socket, done: { once(event: 'close', f: () => void): unknown }): void {
    const conn = (socket as Tagged)[CONN]
    if (!conn) return
    conn.busy++
    clearTimeout(conn.timer)
    // Dropped, not only cleared: a cleared Timeout kept here would stay alive as long as the request (issue 17).
    conn.timer = undefined
    done.once('close', () => {
      conn.busy--
      if (conn.busy === 0 && !socket.destroyed) this.free(socket, conn)
    })
  }

  /** An HTTP/2 session on a tracked socket: the deadline runs while it has no stream open. */
  session(session: ServerHttp2Session): void {
    const conn = (session.socket as unknown as Tagged | undefined)?.[CONN]
    if (!conn) return
    conn.session = session
    session.on('stream', (stream: ServerHttp2Stream) => {
      conn.busy++
      clearTimeout(conn.timer)
      conn.timer = undefined
      stream.once('close', () => {
        conn.busy--
        if (conn.busy === 0 && !session.destroyed) this.free(session.socket as unknown as Socket, conn)
      })
    })
  }

  private free(socket: Socket, conn: Conn): void {
    clearTimeout(conn.timer)
    conn.readAtFree = socket.bytesRead
    conn.timer = setTimeout(() => this.expire(socket, conn), this.options.headTimeoutMs)
    conn.timer.unref()
  }

  private expire(socket: Socket, conn: Conn): void {
    if (conn.busy > 0) return
    this.timedOut()
    if (conn.session) {
      conn.session.destroy()
      return
    }
    closeSlowHttp1(socket, socket.bytesRead > conn.readAtFree)
  }

  /** Counts a connection closed for silence by someone else (a TLS handshake that timed out). */
  timedOut(): void {
    this.stats.timedOut++
    this.notify('timed-out')
  }

  /** The first-byte deadline of a connection not yet told apart (h2c detection). */
  idle(onExpire: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timedOut()
      onExpire()
    }, this.options.idleTimeoutMs)
    t.unref()
    return t
  }
}

/**
 * A partial head is answered 408 with a problem body (as Node does on its own sockets); a silent connection is just
 * closed. The socket is destroyed shortly after, whether or not the client reads the answer.
 */
function closeSlowHttp1(socket: Socket, partial: boolean): void {
  if (socket.destroyed) return
  if (partial && socket.writable) {
    socket.end(rawProblem(new RequestTimeoutError()))
    setTimeout(() => socket.destroy(), 200).unref()
  } else socket.destroy()
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
