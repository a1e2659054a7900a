/**
 * The gateway's listener is `rufh serve`'s: h2c (prior knowledge) on the HTTP/1.1 port, and with TLS HTTP/2 chosen by
 * ALPN (`rufh gateway --tls-cert --tls-key`, a real process). Over HTTP/2 an upload is created, resumed and
 * completed, and the plain backend gets one HTTP/1.1 request with the full bytes; a plain request and an OPTIONS go
 * to the backend as over HTTP/1.1.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { IncomingHttpHeaders } from 'node:http'
import type { ClientHttp2Session } from 'node:http2'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type ChildGateway, spawnGateway } from './child.js'
import { type Backend, sha256, startBackend, startTestGateway, type TestGateway } from './kit.js'

/** The server package's test kit (compiled): HTTP/2 requests and a test certificate, shared rather than copied. */
const serverKit = new URL('../../../server/dist/test/kit/', import.meta.url).href
interface H2Result {
  status: number
  headers: IncomingHttpHeaders
  interim: IncomingHttpHeaders[]
  body: Buffer
}
const { h2, openH2 } = (await import(`${serverKit}h2.js`)) as {
  h2(session: ClientHttp2Session, headers: Record<string, string | number>, body?: Buffer): Promise<H2Result>
  openH2(origin: string): Promise<ClientHttp2Session>
}
const { testCertificate } = (await import(`${serverKit}cert.js`)) as {
  testCertificate(): Promise<{ cert: Buffer; key: Buffer }>
}

/** Creation with the first part (104 then 201), HEAD, the completing PATCH answered with the backend's answer. */
async function upload(session: ClientHttp2Session, backend: Backend, origin: string): Promise<void> {
  const before = backend.received.length
  const data = randomBytes(300 * 1024)
  const v9 = { 'upload-draft-interop-version': 9 }
  const created = await h2(
    session,
    { ':method': 'POST', ':path': '/photos/h2', ...v9, 'upload-complete': '?0', 'content-length': 100 * 1024 },
    data.subarray(0, 100 * 1024),
  )
  assert.equal(created.status, 201, created.body.toString())
  const location = String(created.headers['location'])
  assert.ok(location.startsWith(`${origin}/.uploads/`), location)
  assert.ok(
    created.interim.some((h) => Number(h[':status']) === 104 && h['location'] === location),
    'the 104 with Location',
  )
  const path = new URL(location).pathname
  const head = await h2(session, { ':method': 'HEAD', ':path': path, ...v9 })
  assert.equal(head.headers['upload-offset'], String(100 * 1024))
  const done = await h2(
    session,
    {
      ':method': 'PATCH',
      ':path': path,
      ...v9,
      'content-type': 'application/partial-upload',
      'upload-offset': 100 * 1024,
      'upload-complete': '?1',
    },
    data.subarray(100 * 1024),
  )
  assert.equal(done.status, 201, done.body.toString())
  assert.equal(done.headers['x-backend'], 'plain', 'the backend answered')
  const seen = JSON.parse(done.body.toString()) as { sha256: string; path: string; headers: Record<string, string> }
  assert.equal(seen.sha256, sha256(data))
  assert.equal(seen.path, '/photos/h2')
  assert.equal(seen.headers['idempotency-key'], `"${path.split('/').pop()}"`)
  assert.equal(backend.received.length, before + 1, 'one backend request')
  // A request without a protocol field is the backend's, over HTTP/2 too; an OPTIONS is discovery.
  const plain = await h2(session, { ':method': 'PUT', ':path': '/api/items', 'x-app': '1' }, Buffer.from('hello'))
  assert.equal(plain.status, 201)
  assert.equal((JSON.parse(plain.body.toString()) as { headers: Record<string, string> }).headers['x-app'], '1')
  const options = await h2(session, { ':method': 'OPTIONS', ':path': '/api/items' })
  assert.equal(options.headers['tus-version'], '1.0.0')
}

let backend: Backend
before(async () => {
  backend = await startBackend()
})
after(() => backend.close())

describe('h2c with prior knowledge on the gateway port', { timeout: 60_000 }, () => {
  let gw: TestGateway
  before(async () => {
    gw = await startTestGateway({ backend: backend.url })
  })
  after(() => gw.close())

  test('an upload over h2c is delivered as one backend request; HTTP/1.1 still works on the port', async () => {
    const session = await openH2(gw.url)
    try {
      await upload(session, backend, gw.url)
    } finally {
      session.destroy()
    }
    const r = await fetch(`${gw.url}/api/items`, { method: 'PUT', body: 'x' })
    assert.equal(r.status, 201)
  })
})

describe('rufh gateway --tls-cert --tls-key: HTTP/2 by ALPN', { timeout: 60_000 }, () => {
  let dir: string
  let child: ChildGateway
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rufh-gw-tls-'))
    const key = join(dir, 'key.pem')
    const cert = join(dir, 'cert.pem')
    const made = await testCertificate()
    await Promise.all([writeFile(key, made.key), writeFile(cert, made.cert)])
    child = await spawnGateway([
      '--backend',
      backend.url,
      '--dir',
      join(dir, 'gw'),
      '--tls-cert',
      cert,
      '--tls-key',
      key,
    ])
  })
  after(async () => {
    await child.kill9()
    await rm(dir, { recursive: true, force: true })
  })

  test('ALPN picks h2; an upload over it is delivered as one backend request', async () => {
    assert.match(child.url, /^https:\/\/127\.0\.0\.1:\d+$/)
    const session = await openH2(child.url)
    try {
      assert.equal(session.alpnProtocol, 'h2')
      await upload(session, backend, child.url)
    } finally {
      session.destroy()
    }
  })
})
