/** Test helper (not shipped): requests on an HTTP/2 session, with every informational HEADERS block kept. */
import type { IncomingHttpHeaders } from 'node:http'
import { type ClientHttp2Session, connect } from 'node:http2'

export interface H2Result {
  status: number
  headers: IncomingHttpHeaders
  /** Every informational HEADERS block, in order. */
  interim: IncomingHttpHeaders[]
  body: Buffer
}

/** One request on an HTTP/2 session. A HEAD or a request without `body` ends the stream with its headers. */
export function h2(
  session: ClientHttp2Session,
  headers: Record<string, string | number>,
  body?: Buffer,
): Promise<H2Result> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined })
    const interim: IncomingHttpHeaders[] = []
    let final: IncomingHttpHeaders = {}
    const chunks: Buffer[] = []
    stream.on('headers', (h) => interim.push(h))
    stream.on('response', (h) => {
      final = h
    })
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () =>
      resolve({ status: Number(final[':status']), headers: final, interim, body: Buffer.concat(chunks) }),
    )
    stream.on('error', reject)
    if (body !== undefined) stream.end(body)
  })
}

export function openH2(origin: string, tls = origin.startsWith('https:')): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(origin, tls ? { rejectUnauthorized: false } : {})
    session.once('connect', () => resolve(session))
    session.once('error', reject)
  })
}

/**
 * A CONNECT (which a server of uploads refuses) on a session of its own, whose stream errors are ignored: the
 * answer's headers and body text. `https:` origins accept the test certificate.
 */
export async function h2Connect(origin: string): Promise<{ headers: Record<string, unknown>; body: string }> {
  const session = connect(origin, origin.startsWith('https:') ? { rejectUnauthorized: false } : {})
  session.on('error', () => {})
  try {
    const stream = session.request({ ':method': 'CONNECT', ':authority': 'example.com:443' })
    stream.on('error', () => {})
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    const headers = await new Promise<Record<string, unknown>>((ok) => stream.once('response', ok))
    await new Promise((ok) => stream.once('end', ok))
    return { headers, body: Buffer.concat(chunks).toString() }
  } finally {
    session.destroy()
  }
}
