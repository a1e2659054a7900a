/**
 * Metadata of a draft creation: `Content-Type`/`Content-Disposition` (draft-11 §4.2) and, as tus-js-client's draft
 * modes and Uppy send it, tus's `Upload-Metadata`. Where both name the type or the file name, the draft's field wins.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { completeness, header, send, startTestServer, type TestServer } from './kit/index.js'

const b64 = (x: string) => Buffer.from(x).toString('base64')

describe('draft creation metadata', { timeout: 30_000 }, () => {
  let s: TestServer
  before(async () => {
    s = await startTestServer()
  })
  after(() => s.close())

  const stored = async (r: { headers: Record<string, string | string[] | undefined> }) => {
    const id = new URL(header(r, 'location')!).pathname.split('/').pop()!
    return (JSON.parse(await readFile(join(s.dir, `${id}.json`), 'utf8')) as { metadata: Record<string, string> })
      .metadata
  }
  const create = (v: number, extra: Record<string, string>) =>
    send(s.url, {
      method: 'POST',
      headers: { 'upload-draft-interop-version': String(v), ...completeness(v, true), ...extra },
      body: 'data',
    })

  for (const v of [3, 6, 9, 10]) {
    test(`interop ${v}: Upload-Metadata is read; Content-Type and Content-Disposition win where both speak`, async () => {
      const r = await create(v, {
        'upload-metadata': `filename ${b64('from-tus.bin')},filetype ${b64('text/plain')},relativePath ${b64('a/b')}`,
        'content-type': 'image/png',
        'content-disposition': 'attachment; filename="photo.png"',
      })
      assert.equal(r.status, 201, r.body)
      assert.deepEqual(await stored(r), { filename: 'photo.png', filetype: 'image/png', relativePath: 'a/b' })
    })
  }

  test('Upload-Metadata alone (the append media type on creation says nothing about the representation)', async () => {
    const r = await create(6, {
      'upload-metadata': `filename ${b64('notes.txt')},filetype ${b64('text/plain')},empty`,
      'content-type': 'application/partial-upload',
    })
    assert.deepEqual(await stored(r), { filename: 'notes.txt', filetype: 'text/plain', empty: '' })
  })

  test('a malformed Upload-Metadata on a draft request is ignored, not a failed upload', async () => {
    const r = await create(9, { 'upload-metadata': 'bad key!,x', 'content-type': 'text/plain' })
    assert.equal(r.status, 201)
    assert.deepEqual(await stored(r), { filetype: 'text/plain' })
  })

  test('tus requests keep their rule: Upload-Metadata wins', async () => {
    const r = await send(s.url, {
      method: 'POST',
      headers: {
        'tus-resumable': '1.0.0',
        'upload-length': '0',
        'upload-metadata': `filename ${b64('tus.bin')}`,
        'content-disposition': 'attachment; filename="cd.bin"',
      },
    })
    assert.equal(r.status, 201)
    assert.deepEqual(await stored(r), { filename: 'tus.bin' })
  })
})
