/**
 * Spool mode and backend trouble, over raw requests: a backend that is down during completion gets 502 with a problem
 * body and the upload kept, then the client's retry (a repeated completing append) or the gateway's background
 * redelivery delivers once it is up; a 5xx is retried; a 4xx is relayed as is and not retried; a client cut mid-body
 * resumes; requests without a protocol field (or with an unknown version) go to the backend unchanged.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, describe, test } from 'node:test'
import { type Backend, freePort, send, sha256, startBackend, startTestGateway, type TestGateway, until } from './kit.js'

const v10 = { 'upload-draft-interop-version': '10' }
const partial = { 'content-type': 'application/partial-upload' }
const cleanup: (() => Promise<void>)[] = []
after(async () => {
  for (const c of cleanup.reverse()) await c()
})

async function setup(o: { port?: number; redeliverIntervalMs?: number; forwardRetries?: number } = {}) {
  const backend = o.port === undefined ? await startBackend() : undefined
  const port = o.port ?? backend!.port
  const gw = await startTestGateway({
    backend: `http://127.0.0.1:${port}`,
    forwardRetries: o.forwardRetries ?? 2,
    redeliverIntervalMs: o.redeliverIntervalMs ?? 0,
  })
  cleanup.push(() => gw.close())
  if (backend) cleanup.push(() => backend.close())
  return { gw, backend }
}

async function started(port: number): Promise<Backend> {
  const b = await startBackend(port)
  cleanup.push(() => b.close())
  return b
}

function complete(url: string, body: Buffer, offset = 0) {
  return send(url, {
    method: 'PATCH',
    headers: { ...v10, ...partial, 'upload-offset': offset, 'upload-complete': '?1', 'content-length': body.length },
    body,
  })
}

async function create(gw: TestGateway, path = '/upload'): Promise<string> {
  const r = await send(`${gw.url}${path}`, { method: 'POST', headers: { ...v10, 'upload-complete': '?0' } })
  assert.equal(r.status, 201)
  return String(r.headers['location'])
}

describe('spool: backend trouble', { timeout: 120_000 }, () => {
  test('backend down during completion: 502 problem, upload kept; the client retry delivers once it is up', async () => {
    const port = await freePort()
    const { gw } = await setup({ port })
    const data = randomBytes(100_000)
    const url = await create(gw)
    const failed = await complete(url, data)
    assert.equal(failed.status, 502)
    assert.equal(failed.headers['content-type'], 'application/problem+json')
    assert.equal((JSON.parse(failed.body) as { code: string }).code, 'ERR_BACKEND_UNREACHABLE')
    assert.equal(failed.headers['upload-complete'], '?1', 'the upload is stored and complete')
    const head = await send(url, { method: 'HEAD', headers: v10 })
    assert.equal(head.headers['upload-offset'], String(data.length))
    const backend = await started(port)
    const again = await complete(url, Buffer.alloc(0), data.length)
    assert.equal(again.status, 201, again.body)
    assert.equal((JSON.parse(again.body) as { sha256: string }).sha256, sha256(data))
    assert.equal(backend.complete().length, 1)
  })

  test('backend down during completion: background redelivery delivers without the client', async () => {
    const port = await freePort()
    const { gw } = await setup({ port, redeliverIntervalMs: 200, forwardRetries: 0 })
    const data = randomBytes(50_000)
    const url = await create(gw)
    assert.equal((await complete(url, data)).status, 502)
    const backend = await started(port)
    await until(() => backend.complete().length === 1, 10_000, 'redelivery')
    assert.equal(backend.complete()[0]?.sha256, sha256(data))
    // A retrieval afterwards does not deliver again.
    assert.equal((await send(url, { method: 'HEAD', headers: v10 })).status, 204)
    await new Promise((r) => setTimeout(r, 400))
    assert.equal(backend.received.length, 1, 'delivered once')
  })

  test('a 5xx is retried with the same key; a 4xx is relayed as is and not retried', async () => {
    const { gw, backend } = await setup({ forwardRetries: 3 })
    const original = backend!.status
    backend!.status = 503
    const data = randomBytes(10_000)
    const url = await create(gw)
    const pending = complete(url, data)
    await until(() => backend!.complete().length >= 2, 10_000, 'two 503s')
    backend!.status = original
    const ok = await pending
    assert.equal(ok.status, 201)
    const keys = new Set(backend!.complete().map((r) => r.headers['idempotency-key']))
    assert.equal(keys.size, 1)
    assert.ok(backend!.complete().length >= 3)

    const before = backend!.received.length
    backend!.status = 422
    const url2 = await create(gw)
    const refused = await complete(url2, data)
    assert.equal(refused.status, 422)
    assert.equal(refused.headers['x-backend'], 'plain')
    assert.equal(refused.headers['upload-complete'], '?1')
    assert.equal(backend!.received.length, before + 1)
    backend!.status = original
  })
})

describe('spool: clients', { timeout: 120_000 }, () => {
  test('a creation cut mid-body resumes from the offset; the backend sees the whole body once', async () => {
    const { gw, backend } = await setup()
    const data = randomBytes(2 * 1024 * 1024)
    const cut = await send(`${gw.url}/photos?x=1`, {
      method: 'POST',
      headers: { ...v10, 'upload-complete': '?1', 'content-length': data.length },
      body: data,
      cutAfter: 700_000,
    })
    assert.equal(cut.status, 0)
    const url = String(cut.interim.find((i) => i.status === 104)?.headers['location'])
    await new Promise((r) => setTimeout(r, 200))
    const head = await send(url, { method: 'HEAD', headers: v10 })
    const offset = Number(head.headers['upload-offset'])
    assert.ok(offset > 0 && offset <= 700_000)
    const done = await complete(url, data.subarray(offset), offset)
    assert.equal(done.status, 201)
    assert.equal(backend!.received.length, 1)
    assert.equal(backend!.received[0]?.path, '/photos?x=1')
    assert.equal(backend!.received[0]?.sha256, sha256(data))
  })

  test('not resumable: no protocol field, or an unknown interop version, goes through unchanged', async () => {
    const { gw, backend } = await setup()
    const plain = await send(`${gw.url}/api/items`, { method: 'PUT', body: 'hello', headers: { 'x-app': '1' } })
    assert.equal(plain.status, 201)
    const seen = JSON.parse(plain.body) as { sha256: string; method: string; headers: Record<string, string> }
    assert.equal(seen.method, 'PUT')
    assert.equal(seen.sha256, sha256(Buffer.from('hello')))
    assert.equal(seen.headers['x-app'], '1')
    const unknown = await send(`${gw.url}/api/items`, {
      method: 'POST',
      body: 'x',
      headers: { 'upload-draft-interop-version': '99', 'upload-complete': '?1' },
    })
    assert.equal(unknown.status, 201)
    const seen2 = JSON.parse(unknown.body) as { headers: Record<string, string> }
    assert.equal(seen2.headers['upload-draft-interop-version'], '99', 'unchanged')
    assert.equal(backend!.received.length, 2)
    // An OPTIONS without a protocol field (tus clients send none) is the backend's, with the gateway's discovery fields.
    const options = await send(`${gw.url}/api/items`, { method: 'OPTIONS' })
    assert.equal(options.status, 201, 'the backend answered')
    assert.equal(backend!.received.length, 3)
    assert.match(String(options.headers['upload-limit']), /min-size=0|max-size/)
    assert.equal(options.headers['tus-version'], '1.0.0')
  })

  test('an OPTIONS the backend has no answer for (404, 405, 501) is answered by the gateway: 204 discovery', async () => {
    const { gw, backend } = await setup()
    try {
      for (const status of [404, 405, 501]) {
        backend!.optionsStatus = status
        const r = await send(`${gw.url}/api/items`, { method: 'OPTIONS' })
        assert.equal(r.status, 204, `backend ${status}`)
        assert.equal(r.headers['tus-version'], '1.0.0')
        assert.match(String(r.headers['tus-extension']), /creation/)
        assert.match(String(r.headers['upload-limit']), /min-size=0|max-size/)
        assert.equal(r.body, '', 'not the backend body')
      }
      // A refusal or an answer of the backend's own is still the backend's.
      backend!.optionsStatus = 403
      assert.equal((await send(`${gw.url}/api/items`, { method: 'OPTIONS' })).status, 403)
    } finally {
      delete backend!.optionsStatus
    }
  })

  test('a Tus-Resumable other than 1.0.0 gets 412 with Tus-Version; nothing reaches the backend', async () => {
    const { gw, backend } = await setup()
    const r = await send(`${gw.url}/api/items`, {
      method: 'POST',
      headers: { 'tus-resumable': '0.0.1', 'upload-length': 4 },
    })
    assert.equal(r.status, 412)
    assert.equal(r.headers['tus-version'], '1.0.0')
    assert.equal(backend!.received.length, 0)
  })

  test('bad input gets what rufh serve gives it', async () => {
    const { gw, backend } = await setup()
    const url = await create(gw)
    const wrong = await send(url, {
      method: 'PATCH',
      headers: { ...v10, ...partial, 'upload-offset': 5, 'upload-complete': '?1' },
      body: 'abc',
    })
    assert.equal(wrong.status, 409)
    assert.match(String(wrong.headers['content-type']), /problem\+json/)
    const missing = await send(`${gw.url}/.uploads/nope`, { method: 'HEAD', headers: v10 })
    assert.equal(missing.status, 404)
    assert.equal(backend!.received.length, 0)
  })
  test('DELETE of an incomplete upload answers 204 and removes it; nothing reaches the backend', async () => {
    const { gw, backend } = await setup()
    const url = await create(gw)
    const del = await send(url, { method: 'DELETE', headers: v10 })
    assert.equal(del.status, 204, String(del.body))
    assert.equal((await send(url, { method: 'HEAD', headers: v10 })).status, 404)
    assert.equal(backend!.received.length, 0)
  })
})
