/**
 * Problem details (RFC 9457) for what goes wrong before a request reaches a procedure: a missing or malformed Host,
 * an unreadable request target, and the answers Node's HTTP/1.1 parser would otherwise write itself (malformed or
 * oversized heads, heads that take too long), so that every error rufh writes is `application/problem+json`.
 */
import type { ServerResponse } from 'node:http'
import type { Http2ServerResponse } from 'node:http2'
import type { Socket } from 'node:net'
import {
  defaultStatus,
  ExpectationFailedError,
  type HeaderReader,
  HeadersTooLargeError,
  MalformedRequestError,
  MethodNotAllowedError,
  newestCodec,
  type ProtocolCodec,
  problemBody,
  problemOf,
  type Reply,
  RequestTimeoutError,
  type RufhError,
} from '@rufh/protocol'
import type { Config } from '../config.js'

/** The reply of the request's protocol (tus when it says `Tus-Resumable`, else the newest draft). */
export function earlyFailure(cfg: Config, headers: HeaderReader, err: RufhError): Reply {
  const codec: ProtocolCodec = headers.get('tus-resumable') != null && cfg.tus ? cfg.tus : newestCodec
  return codec.failure(err, 'discovery', { limits: cfg.limits, now: Date.now() })
}

/**
 * `checkExpectation` (HTTP/1.1 and HTTP/2): Node answers an unknown `Expect` with a bare 417; rufh answers it with
 * a problem body, and closes (the body that may follow is not read).
 */
export function answerExpectation(cfg: Config) {
  return (
    req: { headers: Record<string, string | string[] | undefined> },
    res: ServerResponse | Http2ServerResponse,
  ) => {
    const headers: HeaderReader = { get: (n) => [req.headers[n]].flat().join(', ') || undefined }
    const reply = earlyFailure(cfg, headers, new ExpectationFailedError(String(req.headers['expect'] ?? '')))
    const fields: Record<string, string> = {
      ...reply.headers,
      'content-length': String(Buffer.byteLength(reply.body ?? '')),
    }
    if (!('stream' in res)) fields['connection'] = 'close'
    res.writeHead(reply.status, fields)
    res.end(reply.body ?? '')
  }
}

/** Node's parser error codes (`clientError`) and the error each one is. */
function parserError(err: NodeJS.ErrnoException): RufhError {
  if (err.code === 'HPE_HEADER_OVERFLOW') return new HeadersTooLargeError()
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT')
    return new RequestTimeoutError()
  return new MalformedRequestError('the request could not be parsed as HTTP/1.1', { parser: err.code ?? 'unknown' })
}

/**
 * `clientError` on the HTTP/1.1 server: answers with a problem body and closes (nothing after a broken head can be
 * trusted: RFC 9112 §11.2). A socket that already sent a response head, or is gone, is only destroyed.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  const writable =
    socket.writable && !(socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent
  if (err.code === 'ECONNRESET' || !writable) {
    socket.destroy()
    return
  }
  socket.end(rawProblem(parserError(err)))
}

/**
 * CONNECT (`connect` on the HTTP/1.1 server): no tunnels here. Without a listener Node drops the connection without
 * an answer; rufh answers 405 with a problem body and closes.
 */
export function answerConnect(_req: unknown, socket: Socket): void {
  socket.on('error', () => {})
  socket.end(rawProblem(noTunnels()))
}

/**
 * CONNECT on a server that speaks HTTP/2 (`connect` there gets the stream's response; over TLS, HTTP/1.1 CONNECTs
 * arrive on the same event with their socket). Without a listener Node answers HTTP/2 with a bare 405 and drops
 * HTTPS/1.1 without an answer.
 */
export function answerAnyConnect(req: unknown, to: Socket | Http2ServerResponse): void {
  if (!('stream' in to)) {
    answerConnect(req, to)
    return
  }
  const err = noTunnels()
  const status = defaultStatus[err.code]
  const { contentType, body } = problemBody(problemOf(err, status))
  const length = String(Buffer.byteLength(body))
  to.writeHead(status, { 'content-type': contentType, 'content-length': length, allow: err.allow.join(', ') })
  to.end(body)
}

const noTunnels = () =>
  new MethodNotAllowedError('CONNECT', ['OPTIONS', 'POST', 'PUT', 'PATCH', 'HEAD', 'GET', 'DELETE'])

/** A whole HTTP/1.1 error response, head and problem body, with `Connection: close`. */
export function rawProblem(err: RufhError): string {
  const status = defaultStatus[err.code]
  const p = problemOf(err, status)
  const { contentType, body } = problemBody(p)
  const allow = err instanceof MethodNotAllowedError ? `allow: ${err.allow.join(', ')}\r\n` : ''
  return (
    `HTTP/1.1 ${status} ${p.title}\r\ncontent-type: ${contentType}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
    `${allow}connection: close\r\n\r\n${body}`
  )
}
