/**
 * Requests that are not resumable uploads (no protocol field, or a version the gateway does not speak) go to the
 * backend unchanged, streaming both ways with back-pressure, so that the gateway can sit in front of a whole app.
 * Over HTTP/2 the client's request and the answer are the same, less what HTTP/2 forbids (connection fields).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import { pipeline } from 'node:stream/promises'
import { problemReply } from './errors.js'
import { asGatewayError, openBackend } from './forward.js'
import { proxiedFields, type RequestHead, withoutHopByHop } from './head.js'

/** Answers by which a backend says it has nothing for OPTIONS on the path. */
const NOT_DISCOVERY = new Set([404, 405, 501])

export async function proxy(
  backend: URL,
  head: RequestHead,
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
  timeoutMs: number,
  /**
   * An OPTIONS: the gateway's discovery fields, added to the backend's answer. A backend that does not know OPTIONS
   * on that path (404, 405, 501: a plain app) is not answering discovery; the gateway then answers it itself (204), so
   * that every OPTIONS is discovery as creation works on every path (tus 1.0 §Options: 200 or 204 with Tus-Version).
   */
  discovery?: Record<string, string>,
): Promise<void> {
  const h2 = req.httpVersionMajor === 2
  const { req: out, response } = openBackend(
    backend,
    { method: head.method, path: head.path, headers: proxiedFields(head) },
    timeoutMs,
  )
  res.once('close', () => {
    if (!res.writableFinished) out.destroy()
  })
  const sent = pipeline(req, out).catch((e: unknown) => e)
  let answer: IncomingMessage
  try {
    answer = await response
  } catch (e) {
    const err = asGatewayError(e)
    if (res.headersSent) res.destroy()
    else {
      const p = problemReply(err)
      const close = h2 ? {} : { connection: 'close' }
      res.writeHead(p.status, { ...p.headers, 'content-length': Buffer.byteLength(p.body ?? ''), ...close })
      res.end(p.body ?? '')
    }
    return
  }
  const status = answer.statusCode ?? 502
  if (discovery && NOT_DISCOVERY.has(status)) {
    answer.resume()
    res.writeHead(204, discovery)
    res.end()
    await sent
    return
  }
  const headers = { ...withoutHopByHop(answer.headers as Record<string, string | string[]>), ...discovery }
  // HTTP/2 has no reason phrase (Node warns when given one).
  if (h2) (res as Http2ServerResponse).writeHead(status, headers)
  else (res as ServerResponse).writeHead(status, answer.statusMessage, headers)
  try {
    await pipeline(answer, res)
  } catch {
    res.destroy()
  }
  await sent
}
