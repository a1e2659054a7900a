/** An exchange as HTTP/1.1 text: the request head, every interim response with its time, the final response. */
import type { ExchangeResult, HeaderList, RawResponse } from '@rufh/wire'

const MAX_BODY = 600

/** Whether text decoded from bytes looks binary: C0 controls other than tab/CR/LF, or replacement characters. */
export function looksBinary(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 0xfffd) return true
  }
  return false
}

/** Removes characters XML 1.0 cannot carry (C0 controls other than tab, CR, LF). */
export function stripControls(s: string): string {
  let out = ''
  for (const ch of s) {
    const c = ch.charCodeAt(0)
    if (c >= 32 || c === 9 || c === 10 || c === 13) out += ch
  }
  return out
}

/** A response body as text when printable, else a short hex preview. */
export function bodyText(body: Uint8Array, max = MAX_BODY): string {
  if (body.length === 0) return ''
  const b = Buffer.from(body)
  const s = b.toString('utf8')
  const printable = !looksBinary(s)
  const shown = printable ? s.slice(0, max) : `<${b.length} bytes: ${b.subarray(0, 32).toString('hex')}…>`
  return printable && s.length > max ? `${shown}… (${b.length} bytes)` : shown
}

function fields(h: HeaderList, indent: string): string[] {
  return h.map(([k, v]) => `${indent}${k}: ${v}`)
}

function response(r: RawResponse, indent: string): string[] {
  const lines = [
    `${indent}${r.version} ${r.status} ${r.reason}`.trimEnd() + `    [+${r.at} ms]`,
    ...fields(r.headers, indent),
  ]
  const body = bodyText(r.body)
  if (body) lines.push('', ...body.split('\n').map((l) => `${indent}${l}`))
  return lines
}

export function exchangeText(ex: ExchangeResult, indent = '    '): string {
  const u = new URL(ex.request.url)
  const target = ex.request.headers.length ? undefined : `${u.pathname}${u.search}`
  const lines = [
    `${indent}> ${ex.request.method} ${target ?? u.pathname + u.search} HTTP/1.1`,
    ...fields(ex.request.headers, `${indent}> `),
  ]
  if (ex.request.bodyBytesPlanned || ex.request.bodyBytesSent)
    lines.push(
      `${indent}> [content: ${ex.request.bodyBytesSent} of ${ex.request.bodyBytesPlanned} bytes sent, ${ex.request.plan}]`,
    )
  for (const r of ex.interim) lines.push(...response(r, `${indent}< `))
  if (ex.final) lines.push(...response(ex.final, `${indent}< `))
  if (ex.cutByClient) lines.push(`${indent}! the tester cut the connection`)
  if (ex.error && !ex.cutByClient) lines.push(`${indent}! ${ex.error.code}: ${ex.error.message}`)
  else if (ex.closedByPeer) lines.push(`${indent}! the server closed the connection`)
  return lines.join('\n')
}
