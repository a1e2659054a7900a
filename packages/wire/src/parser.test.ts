import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type ParseEvent, ResponseParser } from './parser.js'

function feedBytewise(p: ResponseParser, text: string): ParseEvent[] {
  const out: ParseEvent[] = []
  for (const b of Buffer.from(text)) out.push(...p.push(Buffer.of(b)))
  return out
}

test('interim responses come before the final one, even byte by byte', () => {
  const p = new ResponseParser({ method: 'POST' })
  const evs = feedBytewise(
    p,
    'HTTP/1.1 104 Upload Resumption Supported\r\nLocation: /u/1\r\n\r\n' +
      'HTTP/1.1 104 Upload Resumption Supported\r\nUpload-Offset: 3\r\n\r\n' +
      'HTTP/1.1 201 Created\r\nContent-Length: 5\r\nLocation: /u/1\r\n\r\nhello',
  )
  assert.deepEqual(
    evs.map((e) => e.kind),
    ['interim', 'interim', 'final-head', 'final'],
  )
  const final = evs[3]
  assert.ok(final?.kind === 'final')
  assert.equal(Buffer.from(final.body).toString(), 'hello')
  assert.ok(p.done)
})

test('chunked content with extensions and trailers', () => {
  const p = new ResponseParser({ method: 'GET' })
  const evs = p.push(
    Buffer.from(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nTrailer-Field: 1\r\n\r\n',
    ),
  )
  const final = evs.find((e) => e.kind === 'final')
  assert.ok(final?.kind === 'final')
  assert.equal(Buffer.from(final.body).toString(), 'abcde')
})

test('HEAD, 204 and 304 responses have no content whatever Content-Length says', () => {
  for (const [method, status] of [
    ['HEAD', 200],
    ['GET', 204],
    ['GET', 304],
  ] as const) {
    const p = new ResponseParser({ method })
    const evs = p.push(Buffer.from(`HTTP/1.1 ${status} X\r\nContent-Length: 10\r\n\r\n`))
    assert.ok(
      evs.some((e) => e.kind === 'final'),
      `${method} ${status}`,
    )
  }
})

test('close-delimited content ends with the connection', () => {
  const p = new ResponseParser({ method: 'GET' })
  p.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\nsome'))
  assert.ok(p.readsUntilClose)
  p.push(Buffer.from(' more'))
  const evs = p.end()
  assert.ok(evs[0]?.kind === 'final')
  assert.equal(Buffer.from(evs[0].body).toString(), 'some more')
})

test('a truncated response is an error at end of connection', () => {
  const p = new ResponseParser({ method: 'GET' })
  p.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'))
  assert.throws(() => p.end(), /closed in the middle/)
})

test('garbage and conflicting Content-Length are parse errors', () => {
  assert.throws(() => new ResponseParser({ method: 'GET' }).push(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')), /status line/)
  assert.throws(
    () => new ResponseParser({ method: 'GET' }).push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n')),
    /Content-Length/,
  )
})

test('content beyond maxBodyBytes is dropped and flagged', () => {
  const p = new ResponseParser({ method: 'GET', maxBodyBytes: 4 })
  const evs = p.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789'))
  const final = evs.find((e) => e.kind === 'final')
  assert.ok(final?.kind === 'final')
  assert.equal(Buffer.from(final.body).toString(), '0123')
  assert.equal(final.truncated, true)
})
