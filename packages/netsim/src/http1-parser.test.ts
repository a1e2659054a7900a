import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Http1Tracker, type Piece, type RequestHead, type ResponseHead } from './http1-parser.js'

/** Feeds `input` split at every given offset and returns the pieces, with byte pieces joined per kind run. */
function run(tracker: Http1Tracker, input: string, splits: number[] = []): Piece[] {
  const buf = Buffer.from(input, 'latin1')
  const cuts = [0, ...splits, buf.length]
  const out: Piece[] = []
  for (let i = 0; i + 1 < cuts.length; i++) out.push(...tracker.feed(buf.subarray(cuts[i], cuts[i + 1])))
  return out
}

/** A readable summary: head, payload text, framing bytes, end markers. */
function summary(pieces: Piece[]): string[] {
  const s: string[] = []
  for (const p of pieces) {
    let label: string
    if (p.kind === 'head')
      label = p.head.kind === 'request' ? `H ${p.head.method} ${p.head.target}` : `H ${p.head.status}`
    else if (p.kind === 'body') label = p.payload ? 'P' : 'F'
    else if (p.kind === 'end') label = 'E'
    else label = p.kind === 'raw' ? 'R' : 'h'
    const text = p.kind === 'end' || p.kind === 'head' ? '' : p.bytes.toString('latin1')
    const prev = s.at(-1)
    if (prev && label.length === 1 && prev.startsWith(`${label}:`)) s[s.length - 1] = prev + text
    else s.push(label.length === 1 && label !== 'E' ? `${label}:${text}` : label)
  }
  return s
}

const twoRequests =
  'PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' +
  'POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n'

test('request framing: Content-Length and chunked bodies, pipelined, however the bytes are split', () => {
  const expected = [
    'H PUT /a',
    'P:hello',
    'E',
    'H POST /b',
    'F:3;ext=1\r\n',
    'P:abc',
    'F:\r\n2\r\n',
    'P:de',
    'F:\r\n0\r\nTrailer: t\r\n\r\n',
    'E',
  ]
  assert.deepEqual(summary(run(new Http1Tracker('request'), twoRequests)), expected)
  // Every split point, including inside the blank line and inside chunk-size lines.
  for (let k = 1; k < twoRequests.length; k++) {
    assert.deepEqual(summary(run(new Http1Tracker('request'), twoRequests, [k])), expected, `split at ${k}`)
  }
  // One byte at a time.
  const all = Array.from({ length: twoRequests.length - 1 }, (_, i) => i + 1)
  assert.deepEqual(summary(run(new Http1Tracker('request'), twoRequests, all)), expected)
})

test('request heads: method, target, lower-cased headers and framing are reported; no body without length', () => {
  const pieces = run(
    new Http1Tracker('request'),
    '\r\nGET /x?y HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\n\r\nGET / HTTP/1.1\r\n\r\n',
  )
  const heads = pieces
    .filter((p): p is Extract<Piece, { kind: 'head' }> => p.kind === 'head')
    .map((p) => p.head as RequestHead)
  assert.equal(heads.length, 2)
  assert.equal(heads[0]!.method, 'GET')
  assert.equal(heads[0]!.target, '/x?y')
  assert.deepEqual(heads[0]!.headers, [
    { name: 'x-a', value: '1' },
    { name: 'x-a', value: '2' },
  ])
  assert.deepEqual(heads[0]!.framing, { kind: 'none' })
  assert.equal(pieces.filter((p) => p.kind === 'end').length, 2)
})

test('response framing: interim 1xx, HEAD and 204 without body, until-close, chunked', () => {
  const methods = ['PUT', 'HEAD', 'GET', 'GET']
  const t = new Http1Tracker('response', { nextRequestMethod: () => methods.shift() })
  const input =
    'HTTP/1.1 104 Upload Resumption Supported\r\nLocation: /u/1\r\n\r\n' +
    'HTTP/1.1 100 Continue\r\n\r\n' +
    'HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok' +
    'HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n' +
    'HTTP/1.1 204 No Content\r\n\r\n' +
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n'
  const pieces = run(t, input, [10, 70, 71])
  assert.deepEqual(summary(pieces), [
    'H 104',
    'H 100',
    'H 201',
    'P:ok',
    'E',
    'H 200',
    'E',
    'H 204',
    'E',
    'H 200',
    'F:1\r\n',
    'P:z',
    'F:\r\n0\r\n\r\n',
    'E',
  ])
  const interim = pieces.flatMap((p) => (p.kind === 'head' ? [(p.head as ResponseHead).interim] : []))
  assert.deepEqual(interim, [true, true, false, false, false, false])
  assert.equal(methods.length, 0, 'a final response takes its request, an interim one does not')

  const uc = new Http1Tracker('response')
  assert.deepEqual(summary(run(uc, 'HTTP/1.0 200 OK\r\n\r\nuntil the end')), ['H 200', 'P:until the end'])
  assert.deepEqual(summary(uc.end()), ['E'])
})

test('traffic that cannot be framed passes through untouched', () => {
  const t = new Http1Tracker('request')
  const bad = run(t, 'PUT /a HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\nxyz')
  assert.deepEqual(summary(bad), ['R:PUT /a HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\nxyz'])
  assert.ok(t.passthrough)
  assert.deepEqual(summary(run(t, 'more')), ['R:more'])

  const notHttp = new Http1Tracker('request', { holdHeads: () => false })
  assert.deepEqual(summary(run(notHttp, 'hello')), ['h:hello'], 'non-HTTP bytes are not held waiting for a blank line')
  const huge = new Http1Tracker('request', { maxHeadBytes: 16 })
  assert.deepEqual(summary(run(huge, 'x'.repeat(20))), [`R:${'x'.repeat(20)}`])

  const upgraded = new Http1Tracker('request')
  const up = run(upgraded, 'CONNECT h:443 HTTP/1.1\r\n\r\n\u0016\u0003\u0001 tls')
  assert.deepEqual(summary(up), ['H CONNECT h:443', 'E', 'R:\u0016\u0003\u0001 tls'])
})

test('a head arriving in parts is reported whole, with the parts already handed on when heads are not held', () => {
  const t = new Http1Tracker('request', { holdHeads: () => false })
  const pieces = run(t, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', [5, 12])
  assert.deepEqual(
    pieces.map((p) => (p.kind === 'end' ? 'E' : `${p.kind}:${p.bytes.toString('latin1')}`)),
    ['head-part:GET /', 'head-part: HTTP/1', 'head:.1\r\nHost: a\r\n\r\n', 'E'],
  )
})
