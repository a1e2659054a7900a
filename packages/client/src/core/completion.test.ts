/**
 * Completion detection without `Upload-Complete` on offset retrieval (optional after -12, PR #3493; spec notes §5):
 * a completed upload whose final response was lost must still end as completed.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BytesSource } from '../sources/bytes.js'
import { FakeServer } from '../test/fake-server.test.helper.js'
import { Upload } from './upload.js'

const fast = { baseDelay: 1, maxDelay: 5, jitter: false }
const data = new Uint8Array(5000).map((_, i) => (i * 7) & 0xff)

test('a lost final response, then a retrieval without Upload-Complete: the upload ends completed', {
  timeout: 10_000,
}, async () => {
  // Requests: 0 empty creation, 1 the completing append (served, response lost), 2 HEAD, 3 empty completing append.
  const server = new FakeServer({
    interim: false,
    loseResponse: new Set([1]),
    retrievalOmitsCompletion: true,
    refuseCompleted: true,
  })
  const up = new Upload(
    new BytesSource(data),
    { endpoint: server.endpoint, interop: 10, retry: fast },
    { transport: server },
  )
  const result = await up.start()
  assert.deepEqual(server.bytesOf(result.url!), data)
  assert.equal(result.size, data.length)
  assert.equal(result.response, undefined, 'completion was learned, not answered')
  assert.deepEqual(
    server.log.map((l) => `${l.method} ${l.bodySize} ${l.status}`),
    ['POST 0 201', 'PATCH 5000 204', 'HEAD 0 204', 'PATCH 0 400'],
  )
})

test('a retrieval without Upload-Complete on an unfinished upload goes on appending', { timeout: 10_000 }, async () => {
  const server = new FakeServer({ interim: false, cut: new Map([[1, 2000]]), retrievalOmitsCompletion: true })
  const up = new Upload(
    new BytesSource(data),
    { endpoint: server.endpoint, interop: 10, retry: fast },
    { transport: server },
  )
  const result = await up.start()
  assert.deepEqual(server.bytesOf(result.url!), data)
  assert.ok(result.response, 'the completing append was answered')
})

test('after a retrieval that says ?0, a refusal of the empty completing append stays an error', {
  timeout: 10_000,
}, async () => {
  // Request 1 is cut after its last byte: the server holds everything but the upload is not complete, and its
  // retrieval says so (`Upload-Complete: ?0`). A "completed" refusal then is the server's contradiction, not success.
  const server = new FakeServer({
    interim: false,
    cut: new Map([[1, data.length]]),
    intercept: (req) =>
      req.method === 'PATCH' && req.body?.size === 0
        ? {
            status: 400,
            headers: { get: (n) => (n === 'content-type' ? 'application/problem+json' : null) },
            body: JSON.stringify({ type: 'about:blank', code: 'ERR_UPLOAD_COMPLETED' }),
          }
        : undefined,
  })
  const up = new Upload(
    new BytesSource(data),
    { endpoint: server.endpoint, interop: 10, retry: fast },
    { transport: server },
  )
  await assert.rejects(up.start(), { code: 'ERR_UPLOAD_COMPLETED' })
  assert.deepEqual(
    server.log.map((l) => `${l.method} ${l.bodySize}`),
    ['POST 0', 'PATCH 5000', 'HEAD 0', 'PATCH 0'],
  )
})
