import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { after, describe, it } from 'node:test'
import { ForbiddenError } from '@rufh/protocol'
import type { ListenOptions } from '../adapters/listen.js'
import { newUploadId } from '../ids.js'
import type { UploadEventMap } from '../observe/events.js'
import type { Logger } from '../observe/logger.js'
import { ServerMetrics } from '../observe/prometheus.js'
import { isConcatenating } from '../stores/store.js'
import { send, startTestServer, type TestServer } from './kit/index.js'

const TUS = { 'tus-resumable': '1.0.0' }
const OCTETS = { 'content-type': 'application/offset+octet-stream' }
const servers: TestServer[] = []
after(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

async function serve(options: ListenOptions): Promise<TestServer> {
  const s = await startTestServer(options)
  servers.push(s)
  return s
}

/** Every event of the server's channel, as `name arg...` lines. */
function record(s: TestServer): string[] {
  const seen: string[] = []
  const names: (keyof UploadEventMap)[] = ['created', 'finished', 'terminated', 'transferStarted', 'transferEnded']
  for (const name of names)
    s.core.events.on(name, (...args: unknown[]) => {
      seen.push([name, ...args.map((a) => (typeof a === 'object' ? (a as { id: string }).id : String(a)))].join(' '))
    })
  return seen
}

/** Lets hooks' notifications (run after the event, not awaited) happen. */
const settle = () => new Promise((r) => setTimeout(r, 50))

/** `name value` of the unlabelled series of a Prometheus text body. */
async function counts(m: ServerMetrics): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const line of (await m.render()).body.split('\n')) {
    const hit = /^(rufh_(?:uploads|bytes|transfers)_[a-z_]+) (\S+)$/.exec(line)
    if (hit) out[hit[1]!] = Number(hit[2])
  }
  return out
}

async function* bytes(s: string): AsyncIterable<Uint8Array> {
  yield Buffer.from(s)
}

describe('upload events', { timeout: 30_000 }, () => {
  it('a direct store call notifies no one; the same steps through HTTP notify hooks, metrics and listeners', async () => {
    const hooked: string[] = []
    const metrics = new ServerMetrics({ processMetrics: false })
    const s = await serve({
      metrics,
      hooks: {
        preCreate: (u) => void hooked.push(`pre-create ${u.id}`),
        postCreate: (u) => void hooked.push(`post-create ${u.id}`),
        postFinish: (u) => void hooked.push(`post-finish ${u.id}`),
        postTerminate: (id) => void hooked.push(`post-terminate ${id}`),
      },
    })
    const seen = record(s)
    const { store } = s.core.config
    // Creation, append, completion, concatenation and deletion, straight on the store.
    const [a, b, c3] = [newUploadId(), newUploadId(), newUploadId()]
    for (const id of [a, b]) {
      await store.create({ id, length: 2, expiresAt: undefined, metadata: {}, concat: { kind: 'partial' } })
      assert.equal(await store.append(id, 0, bytes('xy')), 2)
      await store.update(id, { complete: true })
    }
    assert.ok(isConcatenating(store))
    await store.concatenate({ id: c3, length: 4, expiresAt: undefined, metadata: {}, concat: undefined }, [a, b])
    for (const id of [a, b, c3]) await store.remove(id)
    await settle()
    assert.deepEqual(hooked, [])
    assert.deepEqual(seen, [])
    assert.deepEqual(await counts(metrics), {
      rufh_uploads_created_total: 0,
      rufh_uploads_finished_total: 0,
      rufh_uploads_terminated_total: 0,
      rufh_bytes_received_total: 0,
      rufh_transfers_active: 0,
    })

    // The same life through the protocol: a tus creation with 2 of 3 bytes, an append of the last, a deletion.
    const c = await send(s.url, { method: 'POST', headers: { ...TUS, ...OCTETS, 'upload-length': 3 }, body: 'ab' })
    assert.equal(c.status, 201)
    const loc = new URL(String(c.headers.location), s.url).href
    const id = loc.split('/').pop()
    const p = await send(loc, { method: 'PATCH', headers: { ...TUS, ...OCTETS, 'upload-offset': 2 }, body: 'c' })
    assert.equal(p.status, 204)
    assert.equal((await send(loc, { method: 'DELETE', headers: TUS })).status, 204)
    await settle()
    assert.deepEqual(seen, [
      `created ${id}`,
      `transferStarted ${id} 0`,
      `transferEnded ${id} 2`,
      `transferStarted ${id} 2`,
      `transferEnded ${id} 1`,
      `finished ${id}`,
      `terminated ${id}`,
    ])
    assert.deepEqual(hooked, [`pre-create ${id}`, `post-create ${id}`, `post-finish ${id}`, `post-terminate ${id}`])
    assert.deepEqual(await counts(metrics), {
      rufh_uploads_created_total: 1,
      rufh_uploads_finished_total: 1,
      rufh_uploads_terminated_total: 1,
      rufh_bytes_received_total: 3,
      rufh_transfers_active: 0,
    })
  })

  it('tus concatenation is gated like a creation, and its final upload is created and finished at once', async () => {
    const s = await serve({})
    const seen = record(s)
    const refuse = { on: false }
    s.core.events.onPreCreate((u) => {
      if (refuse.on) throw new ForbiddenError(`not now (${u.concat?.kind})`)
    })
    const parts: string[] = []
    for (const body of ['abc', 'de']) {
      const r = await send(s.url, {
        method: 'POST',
        headers: { ...TUS, ...OCTETS, 'upload-length': body.length, 'upload-concat': 'partial' },
        body,
      })
      assert.equal(r.status, 201)
      parts.push(new URL(String(r.headers.location), s.url).href)
    }
    const final = { method: 'POST', headers: { ...TUS, 'upload-concat': `final;${parts.join(' ')}` } }
    refuse.on = true
    const refused = await send(s.url, final)
    assert.equal(refused.status, 403)
    assert.match(refused.body, /not now \(final\)/)
    assert.equal((await readdir(s.dir)).length, 4, 'two partial uploads (data and info), nothing more')
    refuse.on = false
    const f = await send(s.url, final)
    assert.equal(f.status, 201)
    const id = String(f.headers.location).split('/').pop()
    assert.deepEqual(seen.slice(-2), [`created ${id}`, `finished ${id}`])
    assert.equal(seen.filter((e) => e.startsWith('created')).length, 3)
    assert.equal(seen.filter((e) => e.startsWith('finished')).length, 3)
  })

  it('a listener that throws is logged and does not fail the request', async () => {
    const logged: string[] = []
    const logger: Logger = {
      error: (_o, msg) => void logged.push(`error ${msg}`),
      warn: (o, msg) => void logged.push(`warn ${msg} ${(o as { event?: string }).event}`),
      info: () => {},
      debug: () => {},
    }
    const s = await serve({ logger })
    const after: string[] = []
    s.core.events.on('created', () => {
      throw new Error('listener bug')
    })
    s.core.events.on('created', (u) => void after.push(u.id))
    const r = await send(s.url, { method: 'POST', headers: { ...TUS, 'upload-length': 1 } })
    assert.equal(r.status, 201)
    assert.deepEqual(logged, ['warn event listener failed created'])
    assert.deepEqual(after, [String(r.headers.location).split('/').pop()], 'later listeners still run')
  })
})
