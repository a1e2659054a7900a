import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { ServerMetrics } from '../observe/prometheus.js'
import { send, startTestServer, storedAtLeast, type TestServer } from './kit/index.js'
import { BIN, serveChildren, spawnServe } from './kit/serve.js'

/** `name{labels} value` lines of the Prometheus text format. */
function series(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    const m = /^([a-z_:][a-z0-9_:]*(?:\{[^}]*\})?) (\S+)$/i.exec(line)
    if (m) out.set(m[1]!, Number(m[2]))
  }
  return out
}

const servers: TestServer[] = []
after(async () => {
  for (const child of serveChildren) child.kill('SIGKILL')
  await Promise.all(servers.map((s) => s.close()))
})

async function serve(metrics?: ServerMetrics): Promise<TestServer> {
  const s = await startTestServer(metrics ? { metrics } : {})
  servers.push(s)
  return s
}

describe('Prometheus metrics', () => {
  it('counts requests, uploads, bytes and deletions, and serves them at /metrics', async () => {
    const s = await serve(new ServerMetrics())
    const origin = new URL(s.url).origin
    // A draft creation with its whole body (I6), a tus upload in two appends, and a tus termination.
    const ietf = await send(s.url, {
      method: 'POST',
      headers: { 'upload-draft-interop-version': 6, 'upload-complete': '?1' },
      body: 'x'.repeat(1000),
    })
    assert.equal(ietf.status, 201)
    const tus = { 'tus-resumable': '1.0.0' }
    const c = await send(s.url, { method: 'POST', headers: { ...tus, 'upload-length': 10 } })
    const loc = new URL(String(c.headers.location), origin).href
    const ct = { ...tus, 'content-type': 'application/offset+octet-stream' }
    const patch = async (offset: number, body: string) =>
      (await send(loc, { method: 'PATCH', headers: { ...ct, 'upload-offset': offset }, body })).status
    assert.equal(await patch(0, 'abcd'), 204)
    assert.equal(await patch(3, 'z'), 409, 'an append at the wrong offset fails')
    assert.equal(await patch(4, 'efghij'), 204)
    const gone = await send(s.url, { method: 'POST', headers: { ...tus, 'upload-length': 5 } })
    const goneUrl = new URL(String(gone.headers.location), origin).href
    assert.equal((await send(goneUrl, { method: 'DELETE', headers: tus })).status, 204)

    const r = await send(`${origin}/metrics`)
    assert.equal(r.status, 200)
    assert.match(String(r.headers['content-type']), /^text\/plain/)
    const m = series(r.body)
    assert.equal(m.get('rufh_uploads_created_total'), 3)
    assert.equal(m.get('rufh_uploads_finished_total'), 2)
    assert.equal(m.get('rufh_uploads_terminated_total'), 1)
    assert.equal(m.get('rufh_bytes_received_total'), 1010)
    assert.equal(m.get('rufh_transfers_active'), 0)
    assert.equal(m.get('rufh_requests_total{method="POST",procedure="creation",status="201"}'), 3)
    assert.equal(m.get('rufh_requests_total{method="PATCH",procedure="append",status="204"}'), 2)
    assert.equal(m.get('rufh_requests_total{method="PATCH",procedure="append",status="409"}'), 1)
    assert.equal(m.get('rufh_requests_total{method="DELETE",procedure="cancellation",status="204"}'), 1)
    assert.equal(m.get('rufh_request_duration_seconds_count{procedure="append"}'), 3)
    assert.ok((m.get('process_resident_memory_bytes') ?? 0) > 0, 'process metrics')
  })

  it('counts the stored prefix of an interrupted body', async () => {
    const metrics = new ServerMetrics({ processMetrics: false })
    const s = await serve(metrics)
    const body = Buffer.alloc(64 * 1024, 1)
    const cut = await send(s.url, {
      method: 'POST',
      headers: { 'upload-draft-interop-version': 6, 'upload-complete': '?1', 'content-length': body.length },
      body,
      cutAfter: 20_000,
      cutWhen: storedAtLeast(20_000),
    })
    assert.equal(cut.status, 0)
    const loc = String(cut.interim[0]?.headers.location)
    // The server has stored what arrived once HEAD answers (its lease waits for the cut transfer to end).
    const head = await send(loc, { method: 'HEAD', headers: { 'upload-draft-interop-version': 6 } })
    const stored = Number(head.headers['upload-offset'])
    assert.equal(stored, 20_000)
    const m = series((await metrics.render()).body)
    assert.equal(m.get('rufh_bytes_received_total'), stored)
    assert.equal(m.has('process_resident_memory_bytes'), false)
  })

  it('serves them at the configured path only, and not at all when metrics are off', async () => {
    const on = await serve(new ServerMetrics({ path: '/internal/prom' }))
    assert.equal((await send(`${new URL(on.url).origin}/internal/prom`)).status, 200)
    assert.equal((await send(`${new URL(on.url).origin}/metrics`)).status, 404)
    const off = await serve()
    assert.equal((await send(`${new URL(off.url).origin}/metrics`)).status, 404)
  })

  it('`rufh serve --metrics-path` serves them; a path without a leading slash is a usage error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rufh-metrics-'))
    try {
      const p = await spawnServe(dir, ['--metrics-path', '/internal/metrics'])
      const origin = new URL(p.url).origin
      assert.equal(
        (await send(p.url, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': 1 } })).status,
        201,
      )
      const r = await send(`${origin}/internal/metrics`)
      assert.equal(r.status, 200)
      assert.equal(series(r.body).get('rufh_uploads_created_total'), 1)
      p.child.kill('SIGTERM')
      assert.equal((await p.exited).code, 0)
      const bad = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--dir', dir, '--metrics-path', 'metrics'])
      assert.equal(bad.status, 2)
      assert.match(bad.stderr.toString(), /--metrics-path must start with '\/'/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
