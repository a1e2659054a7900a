/**
 * The protocol's procedures as single raw requests, each timed on its own and recorded in its histogram: creation
 * (any request that creates an upload, with or without content), append (a PATCH that does not complete the upload),
 * completion (the PATCH that completes it), offset retrieval (HEAD, or the codec's first retrieval method), and
 * download (GET of a completed upload, for verification). Only exchanges that end with a final response are timed;
 * cuts and network errors are counted instead.
 */
import type { Agent as HttpAgent } from 'node:http'
import type { Agent as HttpsAgent } from 'node:https'
import type { ResponseInfo } from '@rufh/protocol'
import { headerReader, type Speaker } from './codec.js'
import { type ExchangeResult, exchange } from './http.js'
import type { Metrics, ProcedureName } from './metrics.js'

export interface Target {
  url: URL
  speaker: Speaker
  agent: HttpAgent | HttpsAgent
  timeoutMs: number
  /** Extra request fields (e.g. authorization), sent on every request. */
  headers: Record<string, string>
  metrics: Metrics
  signal?: AbortSignal
}

export interface Body {
  length: number
  chunks: Iterable<Buffer>
}

export interface Outcome extends ExchangeResult {
  ok: boolean
  info: ResponseInfo
  /** The final response's Location, resolved against the request URL. */
  location: URL | undefined
  /** The first matching 104's Location (creation), resolved. */
  interimLocation: URL | undefined
}

function resolveUrl(raw: string | undefined, base: URL): URL | undefined {
  if (!raw) return undefined
  try {
    return new URL(raw, base)
  } catch {
    return undefined
  }
}

async function run(
  t: Target,
  proc: ProcedureName,
  url: URL,
  method: string,
  headers: Record<string, string>,
  extra: { body?: Body; cutAfter?: number; onData?: (c: Buffer) => void } = {},
): Promise<Outcome> {
  const { codec } = t.speaker
  let interimLocation: URL | undefined
  const r = await exchange({
    url,
    method,
    headers: { ...t.headers, ...headers },
    agent: t.agent,
    timeoutMs: t.timeoutMs,
    ...(t.signal ? { signal: t.signal } : {}),
    ...(extra.body ? { body: extra.body } : {}),
    ...(extra.cutAfter !== undefined ? { cutAfter: extra.cutAfter } : {}),
    ...(extra.onData ? { onData: extra.onData } : {}),
    onSent: (n) => t.metrics.sent(n),
    onInterim: (i) => {
      t.metrics.informational(i.status)
      if (interimLocation || i.status !== 104) return
      const info = codec.readResponse(headerReader(i.headers))
      if (info.interopMatches) interimLocation = resolveUrl(info.location, url)
    },
  })
  if (r.status !== 0) t.metrics.request(proc, r.ms, { status: r.status })
  else if (r.cut) t.metrics.injectedCuts++
  else if (r.error !== 'aborted') {
    t.metrics.networkErrors++
    t.metrics.error(`${proc}: ${r.error}`)
  }
  const info = codec.readResponse(headerReader(r.headers))
  return {
    ...r,
    ok: r.status >= 200 && r.status < 300,
    info,
    location: resolveUrl(info.location, url),
    interimLocation,
  }
}

export function create(
  t: Target,
  req: { length: number; complete: boolean; body: Body; cutAfter?: number },
): Promise<Outcome> {
  const { speaker } = t
  const headers = {
    ...speaker.codec.creationFields({ complete: req.complete, length: req.length }),
    ...(req.body.length > 0 ? speaker.creationBodyFields : {}),
  }
  return run(t, 'creation', t.url, 'POST', headers, {
    body: req.body,
    ...(req.cutAfter !== undefined ? { cutAfter: req.cutAfter } : {}),
  })
}

export function append(
  t: Target,
  url: URL,
  req: { offset: number; complete: boolean; body: Body; cutAfter?: number },
): Promise<Outcome> {
  const headers = t.speaker.codec.appendFields({ offset: req.offset, complete: req.complete })
  return run(t, req.complete ? 'completion' : 'append', url, 'PATCH', headers, {
    body: req.body,
    ...(req.cutAfter !== undefined ? { cutAfter: req.cutAfter } : {}),
  })
}

export function retrieve(t: Target, url: URL): Promise<Outcome> {
  const method = t.speaker.codec.retrievalMethods[0] ?? 'HEAD'
  return run(t, 'retrieval', url, method, t.speaker.codec.requestFields())
}

/** A plain GET, as any downloader would send it (no protocol fields). */
export function download(t: Target, url: URL, onData: (c: Buffer) => void): Promise<Outcome> {
  return run(t, 'download', url, 'GET', {}, { onData })
}

/** OPTIONS on the target: proves it answers HTTP at all before a run starts. */
export function probe(t: Target): Promise<ExchangeResult> {
  return exchange({
    url: t.url,
    method: 'OPTIONS',
    headers: { ...t.headers, ...t.speaker.codec.requestFields() },
    agent: t.agent,
    timeoutMs: t.timeoutMs,
  })
}
