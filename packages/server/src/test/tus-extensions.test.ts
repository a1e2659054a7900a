/** tus discovery announces only what the store can do (checksum: truncation; concatenation; expiration: listing). */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { DiskStore } from '../stores/disk-store.js'
import type { Store } from '../stores/store.js'
import { header, send, startTestServer, type TestServer } from './kit/index.js'

const OPTIONAL = ['list', 'read', 'truncate', 'concatenate'] as const
const REQUIRED = ['create', 'get', 'append', 'update', 'remove'] as const

/** A disk store without some of its optional capabilities (each method is bound; dropped ones are absent). */
function without(store: DiskStore, drop: readonly (typeof OPTIONAL)[number][]): Store {
  const s: Record<string, unknown> = {}
  for (const k of [...REQUIRED, ...OPTIONAL]) if (!(drop as readonly string[]).includes(k)) s[k] = store[k].bind(store)
  return s as unknown as Store
}

describe('Tus-Extension from the store capabilities', { timeout: 30_000 }, () => {
  const dirs: string[] = []
  const servers: TestServer[] = []
  after(async () => {
    for (const s of servers) await s.close()
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })
  async function serve(drop: readonly (typeof OPTIONAL)[number][]) {
    const dir = await mkdtemp(join(tmpdir(), 'rufh-tus-ext-'))
    dirs.push(dir)
    const s = await startTestServer({ store: without(new DiskStore({ directory: dir }), drop) })
    servers.push(s)
    const o = await send(s.url, { method: 'OPTIONS' })
    assert.equal(o.status, 204)
    return {
      s,
      extensions: (header(o, 'tus-extension') ?? '').split(','),
      algorithms: header(o, 'tus-checksum-algorithm'),
    }
  }
  const BASE = ['creation', 'creation-with-upload', 'creation-defer-length', 'termination']

  test('a store with every capability announces every extension', async () => {
    const { extensions, algorithms } = await serve([])
    assert.deepEqual(extensions, [...BASE, 'expiration', 'checksum', 'concatenation'])
    assert.equal(algorithms, 'sha1,md5,sha256,sha512')
  })

  test('without truncation: no checksum, no Tus-Checksum-Algorithm, and a checksummed PATCH is refused', async () => {
    const { s, extensions, algorithms } = await serve(['truncate'])
    assert.deepEqual(extensions, [...BASE, 'expiration', 'concatenation'])
    assert.equal(algorithms, undefined)
    const c = await send(s.url, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': '2' } })
    const p = await send(header(c, 'location')!, {
      method: 'PATCH',
      headers: {
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
        'upload-checksum': `sha1 ${Buffer.from('x'.repeat(20)).toString('base64')}`,
      },
      body: 'ab',
    })
    assert.equal(p.status, 400)
  })

  test('without concatenation: no concatenation', async () => {
    const { extensions } = await serve(['concatenate'])
    assert.deepEqual(extensions, [...BASE, 'expiration', 'checksum'])
  })

  test('without listing: no expiration (expired uploads could never be removed)', async () => {
    const { extensions } = await serve(['list'])
    assert.deepEqual(extensions, [...BASE, 'checksum', 'concatenation'])
  })

  test('a store with nothing optional: the core extensions only', async () => {
    const { extensions, algorithms } = await serve([...OPTIONAL])
    assert.deepEqual(extensions, BASE)
    assert.equal(algorithms, undefined)
  })
})
