/**
 * Requests that are not resumable uploads (no protocol field, or a version the gateway does not speak) go to the
 * backend unchanged, streaming both ways with back-pressure, so that the gateway can sit in front of a whole app.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { problemReply } from './errors.js'
import { asGatewayError, openBackend } from './forward.js'
import { proxiedFields, type RequestHead, withoutHopByHop } from './head.js'

export async function proxy(
  backend: URL,
  head: RequestHead,
  req: IncomingMessage,
  res: ServerResponse,
  timeoutMs: number,
  /** Fields added to the backend's answer (the gateway's discovery fields on an OPTIONS). */
  extra: Record<string, string> = {},
): Promise<void> {
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
      res.writeHead(p.status, { ...p.headers, 'content-length': Buffer.byteLength(p.body ?? ''), connection: 'close' })
      res.end(p.body)
    }
    return
  }
  const headers = withoutHopByHop(answer.headers as Record<string, string | string[]>)
  res.writeHead(answer.statusCode ?? 502, answer.statusMessage, { ...headers, ...extra })
  try {
    await pipeline(answer, res)
  } catch {
    res.destroy()
  }
  await sent
}
