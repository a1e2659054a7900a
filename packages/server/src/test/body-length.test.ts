/**
 * The store is told the body's length (`AppendOptions.bodyLength`) from Content-Length, and not told one for a
 * chunked body (RFC 9112 §6.3: Transfer-Encoding overrides Content-Length): the S3 store streams parts by it.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { DiskStore } from '../stores/disk-store.js'
import type { AppendOptions } from '../stores/store.js'
import { header, send, startTestServer, type TestServer } from './kit/index.js'

const T = { 'tus-resumable': '1.0.0' }
const OCTETS = { 'content-type': 'application/offset+octet-stream' }

let s: TestServer
let dir: string
const told: (number | undefined)[] = []

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rufh-body-length-'))
  const store = new (class extends DiskStore {
    override append(id: string, offset: number, body: AsyncIterable<Uint8Array>, o?: AppendOptions): Promise<number> {
      told.push(o?.bodyLength)
      return super.append(id, offset, body, o)
    }
  })({ directory: dir })
  s = await startTestServer({ store })
})
after(async () => {
  await s?.close()
  await rm(dir, { recursive: true, force: true })
})

test('an append is told its body’s Content-Length, a chunked one no length', async () => {
  const c = await send(s.url, { method: 'POST', headers: { ...T, 'upload-length': '10' } })
  assert.equal(c.status, 201, c.body)
  const url = new URL(header(c, 'location') as string, s.url).href
  told.length = 0 // the creation's (empty) body
  const patch = (offset: number, body: string, extra: Record<string, string> = {}) =>
    send(url, { method: 'PATCH', headers: { ...T, ...OCTETS, 'upload-offset': String(offset), ...extra }, body })
  assert.equal((await patch(0, 'abcd')).status, 204)
  assert.equal((await patch(4, 'efghij', { 'transfer-encoding': 'chunked' })).status, 204)
  assert.deepEqual(told, [4, undefined])
})
