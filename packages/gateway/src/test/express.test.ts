/**
 * `resumable(app)` under Express: the app's route is called once per upload with the whole body and the creation's
 * method, path and headers, and its response is the client's final response, for @rufh/client (several versions),
 * tus-js-client and a raw client cut mid-body; plain requests reach the app directly.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { upload } from '@rufh/client'
import express from 'express'
import { Upload, type UploadOptions } from 'tus-js-client'
import { type ResumableHandler, resumable } from '../resumable.js'
import { send, sha256 } from './kit.js'

const MiB = 1024 * 1024
const calls: { path: string; size: number; sha256: string; user: string | undefined }[] = []
let server: Server
let wrapped: ResumableHandler
let base: string
let dir: string

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rufh-express-'))
  const app = express()
  app.get('/hello', (_req, res) => {
    res.send('hi')
  })
  app.post('/photos/:album', async (req, res) => {
    const hash = createHash('sha256')
    let size = 0
    for await (const chunk of req as AsyncIterable<Buffer>) {
      hash.update(chunk)
      size += chunk.length
    }
    const call = { path: req.originalUrl, size, sha256: hash.digest('hex'), user: req.get('x-user') }
    calls.push(call)
    res
      .status(201)
      .set('x-app', 'express')
      .json({ ...call, album: req.params.album })
  })
  wrapped = resumable(app, { directory: dir, progressIntervalMs: 0 })
  server = createServer(wrapped)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(async () => {
  server.closeAllConnections()
  await new Promise<void>((r) => server.close(() => r()))
  await wrapped.close()
  await rm(dir, { recursive: true, force: true })
})

describe('resumable(app) under Express', { timeout: 120_000 }, () => {
  for (const interop of [3, 6, 8, 10, 'tus'] as const) {
    test(`@rufh/client interop ${interop}: the route runs once, its answer is the final response`, async () => {
      const data = randomBytes(MiB + 11)
      const n = calls.length
      const r = await upload(data, {
        endpoint: `${base}/photos/summer`,
        interop,
        chunkSize: 256 * 1024,
        headers: { 'x-user': 'ann' },
        retry: false,
      })
      assert.equal(r.response?.status, 201)
      assert.equal(r.response?.headers.get('x-app'), 'express')
      const body = JSON.parse(r.response?.body ?? '{}') as { sha256: string; album: string; user: string }
      assert.equal(body.sha256, sha256(data))
      assert.equal(body.album, 'summer')
      assert.equal(body.user, 'ann')
      assert.equal(calls.length, n + 1, 'the handler is called once per upload')
    })
  }

  test('tus-js-client (ietf-draft-05): the route runs once', async () => {
    const data = randomBytes(700_000)
    const n = calls.length
    await new Promise<void>((resolve, reject) => {
      new Upload(data, {
        endpoint: `${base}/photos/tus`,
        protocol: 'ietf-draft-05',
        chunkSize: 100_000,
        retryDelays: [],
        onSuccess: () => resolve(),
        onError: reject,
      } as UploadOptions).start()
    })
    assert.equal(calls.length, n + 1)
    assert.equal(calls.at(-1)?.sha256, sha256(data))
  })

  test('a raw client cut mid-body resumes; plain requests reach the app directly', async () => {
    const v = { 'upload-draft-interop-version': '9' }
    const data = randomBytes(MiB)
    const n = calls.length
    const cut = await send(`${base}/photos/raw`, {
      method: 'POST',
      headers: { ...v, 'upload-complete': '?1', 'content-length': data.length },
      body: data,
      cutAfter: 300_000,
    })
    const url = String(cut.interim.find((i) => i.status === 104)?.headers['location'])
    await new Promise((r) => setTimeout(r, 200))
    const offset = Number((await send(url, { method: 'HEAD', headers: v })).headers['upload-offset'])
    assert.equal(calls.length, n, 'the app is not called before the upload is complete')
    const done = await send(url, {
      method: 'PATCH',
      headers: { ...v, 'upload-offset': offset, 'upload-complete': '?1', 'content-type': 'application/partial-upload' },
      body: data.subarray(offset),
    })
    assert.equal(done.status, 201)
    assert.equal((JSON.parse(done.body) as { sha256: string }).sha256, sha256(data))
    assert.equal(calls.length, n + 1)
    const hello = await send(`${base}/hello`)
    assert.equal(hello.body, 'hi')
  })
})
