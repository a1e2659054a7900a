/**
 * node:http and node:http2 (compatibility API) adapter: the full protocol, 104s included.
 *
 * Node 20 has no public API for an arbitrary 1xx on HTTP/1.1, so the interim response is written to the connection
 * before the final head, the way Node's own `writeContinue` does; on HTTP/2 it is an extra HEADERS frame
 * (`additionalHeaders`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { type Http2ServerRequest, type Http2ServerResponse, constants as h2 } from 'node:http2'
import { asRufhError, type Fields, type HeaderReader, MalformedRequestError } from '@rufh/protocol'
import type { ServerOptions } from '../config.js'
import { UploadHandler } from '../handler.js'
import type { HandlerReply, InterimSink, UploadRequest } from '../types.js'
import { requestOrigin } from './origin.js'
import { earlyFailure } from './problems.js'

/** Reason phrases Node does not know (tus checksum extension). */
const REASONS: Record<number, string> = { 460: 'Checksum Mismatch' }

type NodeRequest = IncomingMessage | Http2ServerRequest
type NodeResponse = ServerResponse | Http2ServerResponse

/** `OutgoingMessage._writeRaw`: how Node writes `100 Continue` and `103 Early Hints` itself. */
interface RawWritable {
  _writeRaw?: (data: string, encoding: BufferEncoding) => boolean
}

export type NodeHandler = ((req: NodeRequest, res: NodeResponse) => void) & { core: UploadHandler }

export function createNodeHandler(handlerOrOptions: UploadHandler | ServerOptions = {}): NodeHandler {
  const core = handlerOrOptions instanceof UploadHandler ? handlerOrOptions : new UploadHandler(handlerOrOptions)
  const fn = (req: NodeRequest, res: NodeResponse): void => {
    serve(core, req, res).catch((err: unknown) => {
      core.config.logger?.error({ err }, 'unhandled error in node adapter')
      if (!res.headersSent && !res.destroyed) {
        const reply = earlyFailure(core.config, { get: () => undefined }, asRufhError(err))
        res.writeHead(reply.status, { ...reply.headers, 'content-length': String(Buffer.byteLength(reply.body ?? '')) })
        res.end(reply.body ?? '')
      } else res.destroy()
    })
  }
  return Object.assign(fn, { core })
}

async function serve(core: UploadHandler, req: NodeRequest, res: NodeResponse): Promise<void> {
  const headers: HeaderReader = {
    get(name) {
      const v = req.headers[name]
      return Array.isArray(v) ? v.join(', ') : v
    },
    // HTTP/2 pseudo-header fields (`:path`, ...) are not fields of the request.
    names: () => Object.keys(req.headers).filter((n) => !n.startsWith(':')),
  }
  const origin = requestOrigin(req, core.config.trustProxy)
  // RFC 9112 §3.2: a request without a valid Host (h2: :authority) is answered 400 — with a problem body like any other.
  if (!origin) {
    write(res, req, withClose(earlyFailure(core.config, headers, new MalformedRequestError('missing or invalid Host'))))
    return
  }
  const target = req.url ?? '/'
  const url = targetUrl(target, origin)
  if (!url) {
    const err = new MalformedRequestError('the request target cannot be read')
    write(res, req, withClose(earlyFailure(core.config, headers, err)))
    return
  }
  // HTTP/1.1 (no `stream`): each body chunk is a copy of its own (types.ts); HTTP/2 chunks may be views into the
  // session's read buffer.
  const h1 = !('stream' in req)
  // The client's signal is made only when asked for. An HTTP/1.1 request that loses its client is destroyed with an
  // error, so the core reading its body needs no signal; an HTTP/2 one just ends (compat API), so there it is needed.
  let client: AbortController | undefined
  let gone = false
  res.on('close', () => {
    if (res.writableFinished) return
    gone = true
    client?.abort()
  })
  const upload: UploadRequest & { asterisk: boolean } = {
    method: req.method ?? 'GET',
    url,
    headers,
    body: req as AsyncIterable<Uint8Array>,
    get signal() {
      if (!client) {
        client = new AbortController()
        if (gone) client.abort()
      }
      return client.signal
    },
    bodyReportsClient: h1,
    bodyChunksOwned: h1,
    asterisk: target === '*',
  }
  const reply = await core.handle(upload, interimSink(req, res))
  write(res, req, reply)
}

/** The URL of an origin-, absolute- or asterisk-form target (RFC 9112 §3.2), or undefined when it does not parse. */
function targetUrl(target: string, origin: string): URL | undefined {
  try {
    return new URL(target === '*' ? '/' : target, origin)
  } catch {
    return undefined
  }
}

/** The body of a request that could not be read is not read either: the connection closes after the answer. */
function withClose(reply: HandlerReply): HandlerReply {
  return { ...reply, close: true }
}

/** The head of a 104 with `fields`, or undefined if a name or value would break its framing. */
function interimHead(fields: Fields): string | undefined {
  // A loop, not entries/map/join: progress 104s go out every second on every held upload (issue 17).
  let head = 'HTTP/1.1 104 Upload Resumption Supported\r\n'
  for (const name in fields) {
    const value = fields[name] as string
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) return undefined
    head += `${name}: ${value}\r\n`
  }
  return `${head}\r\n`
}

function interimSink(req: NodeRequest, res: NodeResponse): InterimSink | undefined {
  if ('stream' in res) {
    const stream = res.stream
    return {
      send(fields) {
        if (res.headersSent || stream.destroyed || stream.closed) return
        stream.additionalHeaders({ ':status': 104, ...fields })
      },
    }
  }
  // 1xx responses do not exist in HTTP/1.0 (RFC 9110 §15.2).
  if (req.httpVersionMajor !== 1 || req.httpVersionMinor < 1) return undefined
  const raw = res as unknown as RawWritable
  if (typeof raw._writeRaw !== 'function') return undefined
  return {
    send(fields) {
      if (res.headersSent || res.writableEnded || res.destroyed) return
      const head = interimHead(fields)
      if (head !== undefined) raw._writeRaw?.(head, 'latin1')
    },
  }
}

function write(res: NodeResponse, req: NodeRequest, reply: HandlerReply): void {
  if (res.headersSent || res.destroyed) return
  const headers: Record<string, string> = { ...reply.headers }
  const http2 = 'stream' in res
  if (reply.body !== undefined) headers['content-length'] = String(Buffer.byteLength(reply.body))
  else if (!reply.stream && reply.status !== 204 && reply.status !== 304) headers['content-length'] = '0'
  if (reply.close && !http2) headers['connection'] = 'close'
  const reason = REASONS[reply.status]
  if (reason) res.writeHead(reply.status, reason, headers)
  else res.writeHead(reply.status, headers)
  if (reply.stream) {
    pipeOut(reply.stream, res)
    return
  }
  if (reply.body === undefined) res.end()
  else res.end(reply.body)
  if (reply.close) {
    // The rest of the body will not be read: end the stream (HTTP/2: RST_STREAM NO_ERROR, RFC 9113 §8.1).
    res.once('finish', () => {
      if ('stream' in req && !req.stream.closed) req.stream.close(h2.NGHTTP2_NO_ERROR)
      else if (!('stream' in req)) req.socket.destroySoon?.()
    })
  }
}

/** Writes a streamed body with backpressure; a failing source ends the connection (the length is already promised). */
function pipeOut(stream: AsyncIterable<Uint8Array>, res: NodeResponse): void {
  const w = res as ServerResponse
  const run = async () => {
    for await (const chunk of stream) {
      if (res.destroyed) return
      if (!w.write(chunk)) await new Promise<void>((r) => res.once('drain', r))
    }
    res.end()
  }
  run().catch(() => res.destroy())
}
