/**
 * Seeded random and mutated requests for the fuzz suite: every procedure of both protocols, with header values out of
 * range or malformed, duplicated and conflicting fields, request smuggling shapes, broken chunking, traversal in
 * upload URLs and `Upload-Concat`, malformed metadata, checksums, ranges, hosts and targets.
 */
import type { Rng } from './rng.js'

/** Uploads the fuzzer aims at: their paths (under the base path) and current offsets. */
export interface Pool {
  base: string
  port: number
  uploads: { path: string; offset: number }[]
  /** Completed uploads that must stay unchanged: never the target of a termination (which may rightly remove them). */
  kept: string[]
}

export interface FuzzRequest {
  method: string
  target: string
  /** Header lines in order (names as sent; duplicates allowed). */
  headers: [string, string][]
  body: Buffer
  /** How the body is framed on HTTP/1.1. */
  framing: 'length' | 'none' | 'chunked' | 'broken-chunked' | 'short-length' | 'raw'
  /** Raw extra bytes in the head (smuggling shapes, bare LF, obs-fold), HTTP/1.1 only. */
  rawHead?: string
}

const METHODS = ['POST', 'PATCH', 'HEAD', 'GET', 'DELETE', 'OPTIONS', 'PUT', 'TRACE', 'patch', 'P0ST', 'PRI', 'CONNECT']
const INTEROP = [
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
  '10',
  '11',
  '0',
  '-1',
  'six',
  '',
  '6, 7',
  '6;x=1',
  '99999999999999999',
]
const TUS = ['1.0.0', '0.2.2', '', '1.0.0, 1.0.0', '1.0']
const INTEGERS = ['0', '1', '3', '-1', '1.5', '1e3', 'abc', '', '99999999999999999999', '007', ' 3 ', '3, 4', '?1']
const BOOLEANS = ['?1', '?0', '?2', '1', 'true', '', '?1;x=2', '?0, ?1']
const B64S = ['', 'A', 'AA==', 'AAA=', 'AAAA', 'A=', 'AAA==', 'AAAA=', '====', 'YWJj', 'YW Jj', '%%%%', 'AA=A']
const ALGOS = ['sha1', 'SHA1', 'md5', 'sha256', 'sha512', 'crc32', '', 'sha1 sha1']

function targets(r: Rng, p: Pool): string {
  const u = p.uploads.length ? r.pick(p.uploads).path : `${p.base}x`
  const id = u.slice(p.base.length)
  return r.pick([
    p.base,
    p.base.slice(0, -1),
    u,
    u,
    u,
    `${p.base}${'A'.repeat(24)}`,
    `${p.base}../../../../etc/passwd`,
    `${p.base}%2e%2e/%2e%2e/etc/passwd`,
    `${p.base}..%2f..%2f${id}`,
    `${p.base}${id}/../../${id}`,
    `${p.base}${id}%00`,
    `${p.base}${id}.json`,
    `${p.base}.${id}`,
    `${u}?x=1`,
    `${u}#frag`,
    `${p.base}${'a'.repeat(r.int(6000))}`,
    '*',
    '/',
    '//x/files/',
    `http://127.0.0.1:${p.port}${u}`,
    'http://[::1/files/',
    `http://x:99999${p.base}`,
    `${p.base}é`,
    '/metrics',
  ])
}

function hosts(r: Rng, p: Pool): [string, string][] {
  const good = `127.0.0.1:${p.port}`
  const v = r.pick([
    good,
    good,
    good,
    'x',
    'x:99999',
    'x:65536',
    '',
    'a b',
    'a_b',
    '[::1',
    '[::1]:1',
    'x:',
    'xn--',
    good,
  ])
  if (r.chance(0.05)) return []
  if (r.chance(0.05))
    return [
      ['Host', v],
      ['Host', 'other'],
    ]
  return [['Host', v]]
}

function metadata(r: Rng): string {
  return r.pick([
    'filename YWJj',
    'filename YWJj,filetype dGV4dC9wbGFpbg==',
    'filename',
    'filename YWJj,filename YWJj',
    'bad key',
    'k A',
    ',',
    'k ' + 'QUFB'.repeat(r.int(3000)),
    'filename Li4vLi4vZXRjL3Bhc3N3ZA==',
    'é YWJj',
  ])
}

function concat(r: Rng, p: Pool): string {
  const refs = Array.from({ length: 1 + r.int(4) }, () => {
    const u = p.uploads.length ? r.pick(p.uploads).path : p.base
    return r.pick([
      u,
      `http://another.host${u}`,
      `https://127.0.0.1:${p.port}${u}`,
      `${u}/../x`,
      '../../etc/passwd',
      '',
      '%zz',
      `${p.base}${'B'.repeat(24)}`,
    ])
  })
  return r.pick(['partial', `final;${refs.join(' ')}`, 'final;', 'final', 'partial;x', `final; ${refs.join('  ')}`])
}

/** Optional fields, each a generator; a request draws several. */
const FIELDS: [string, (r: Rng, p: Pool, offset: number) => string][] = [
  ['Upload-Offset', (r, _p, o) => (r.chance(0.5) ? String(o) : r.pick(INTEGERS))],
  ['Upload-Complete', (r) => r.pick(BOOLEANS)],
  ['Upload-Incomplete', (r) => r.pick(BOOLEANS)],
  ['Upload-Length', (r) => r.pick([...INTEGERS, '10', '4096', '1000000000000'])],
  ['Upload-Defer-Length', (r) => r.pick(['1', '0', '2', ''])],
  ['Upload-Metadata', (r) => metadata(r)],
  ['Upload-Checksum', (r) => `${r.pick(ALGOS)} ${r.pick(B64S)}`],
  ['Upload-Concat', (r, p) => concat(r, p)],
  [
    'Content-Type',
    (r) =>
      r.pick([
        'application/offset+octet-stream',
        'application/partial-upload',
        'text/plain',
        '',
        'application/partial-upload; x=1',
        '*/*',
      ]),
  ],
  [
    'Content-Disposition',
    (r) =>
      r.pick([
        'inline; filename="a.txt"',
        "attachment; filename*=UTF-8''%E2%82%AC.txt",
        "filename*=UTF-8''%zz",
        'filename="../../x"',
        '',
      ]),
  ],
  [
    'Range',
    (r) =>
      r.pick([
        'bytes=0-1',
        'bytes=5-2',
        'bytes=-0',
        'bytes=0-99999999999999999999',
        'bytes=a-b',
        'bytes=0-1,2-3',
        'bytes=-5',
        'bytes=100000-',
        'items=0-1',
        '',
      ]),
  ],
  ['X-HTTP-Method-Override', (r) => r.pick(['PATCH', 'DELETE', 'HEAD', 'GET', 'CONNECT', ''])],
  ['Forwarded', (r) => r.pick(['host=evil.example;proto=https', 'for=1.2.3.4', 'host="a b"', 'proto=gopher'])],
  ['X-Forwarded-Host', (r) => r.pick(['evil.example', 'x:99999', ''])],
  ['Origin', (r) => r.pick(['http://evil.example', 'null', ''])],
  ['Access-Control-Request-Method', (r) => r.pick(['PATCH', 'POST', ''])],
  ['Upload-Limit', (r) => r.pick(['max-size=1', 'garbage'])],
  ['Expect', (r) => r.pick(['100-continue', 'nonsense'])],
]

/** A well-formed append or retrieval at the upload's offset, for tus or a draft version: the success paths. */
function wellFormed(r: Rng, p: Pool): FuzzRequest {
  const u = r.pick(p.uploads)
  const body = r.bytes(r.int(2048))
  const tus = r.chance(0.5)
  const method = r.pick(['PATCH', 'PATCH', 'HEAD', 'GET'])
  const headers: [string, string][] = [['Host', `127.0.0.1:${p.port}`]]
  if (tus)
    headers.push(
      ['Tus-Resumable', '1.0.0'],
      ['Upload-Offset', String(u.offset)],
      ['Content-Type', 'application/offset+octet-stream'],
    )
  else
    headers.push(
      ['Upload-Draft-Interop-Version', '9'],
      ['Upload-Offset', String(u.offset)],
      ['Upload-Complete', r.pick(['?0', '?1'])],
      ['Content-Type', 'application/partial-upload'],
    )
  return { method, target: u.path, headers, body: method === 'PATCH' ? body : Buffer.alloc(0), framing: 'length' }
}

export function fuzzRequest(r: Rng, p: Pool): FuzzRequest {
  if (p.uploads.length && r.chance(0.15)) return wellFormed(r, p)
  const target = targets(r, p)
  const offset = p.uploads.find((u) => target.includes(u.path))?.offset ?? 0
  const headers: [string, string][] = hosts(r, p)
  const tus = r.chance(0.4)
  if (tus) headers.push(['Tus-Resumable', r.chance(0.85) ? '1.0.0' : r.pick(TUS)])
  else if (r.chance(0.9))
    headers.push(['Upload-Draft-Interop-Version', r.chance(0.7) ? r.pick(['6', '8', '9', '10', '3']) : r.pick(INTEROP)])
  const n = r.int(6)
  for (let i = 0; i < n; i++) {
    const [name, gen] = r.pick(FIELDS)
    headers.push([r.chance(0.1) ? name.toUpperCase() : name, gen(r, p, offset)])
    // A duplicated field, with the same or a conflicting value.
    if (r.chance(0.1)) headers.push([name, gen(r, p, offset)])
  }
  const body = r.chance(0.3) ? Buffer.alloc(0) : r.bytes(r.int(r.chance(0.2) ? 70_000 : 4096))
  const framing = r.pick([
    'length',
    'length',
    'length',
    'none',
    'chunked',
    'broken-chunked',
    'short-length',
    'raw',
  ] as const)
  const out: FuzzRequest = { method: r.pick(METHODS), target, headers, body, framing }
  if (r.chance(0.15)) out.rawHead = smuggling(r)
  if (p.kept.some((k) => target.includes(k))) {
    if (out.method === 'DELETE') out.method = 'HEAD'
    out.headers = out.headers.filter(
      ([k, v]) => k.toLowerCase() !== 'x-http-method-override' || v.trim().toUpperCase() !== 'DELETE',
    )
  }
  return out
}

/** Head shapes used to smuggle requests past proxies (RFC 9112 §6.3, §11.2). */
function smuggling(r: Rng): string {
  return r.pick([
    'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n',
    'Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n',
    'Transfer-Encoding: xchunked\r\n',
    'Transfer-Encoding: chunked, identity\r\n',
    'Transfer-Encoding : chunked\r\n',
    'Content-Length: 3\r\nContent-Length: 4\r\n',
    'Content-Length: 3, 4\r\n',
    'Content-Length: -1\r\n',
    'Content-Length: 0x10\r\n',
    'X-Folded: a\r\n b\r\n',
    'X-Bare: lf\n',
    'X-Nul: a\u0000b\r\n',
    'Bad Name: x\r\n',
    ': empty\r\n',
    `X-Long: ${'l'.repeat(20_000)}\r\n`,
  ])
}

/** The request as HTTP/1.1 bytes, framed as drawn (some framings are deliberately wrong). */
export function http1Bytes(q: FuzzRequest): Buffer {
  const lines = [`${q.method} ${q.target} HTTP/1.1`, ...q.headers.map(([k, v]) => `${k}: ${v}`)]
  let body = q.body
  switch (q.framing) {
    case 'length':
      lines.push(`Content-Length: ${body.length}`)
      break
    case 'short-length':
      lines.push(`Content-Length: ${body.length + 1 + (body.length >> 1)}`)
      break
    case 'chunked':
    case 'broken-chunked': {
      lines.push('Transfer-Encoding: chunked')
      const parts: Buffer[] = []
      for (let i = 0; i < body.length; i += 1000) {
        const c = body.subarray(i, i + 1000)
        parts.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'))
      }
      if (q.framing === 'chunked') parts.push(Buffer.from('0\r\n\r\n'))
      else
        parts.push(
          Buffer.from(
            ['zz\r\n', 'ffffffffffffffffff\r\n', '5\r\nab\r\n', '0\r\n', '3;ext=1\r\nabc\r\n'][body.length % 5] ?? '',
          ),
        )
      body = Buffer.concat(parts)
      break
    }
    default:
      break
  }
  lines.push('Connection: close')
  const head = `${lines.join('\r\n')}\r\n${q.rawHead ?? ''}\r\n`
  return Buffer.concat([Buffer.from(head, 'latin1'), body])
}
