/**
 * tus-js-client 4.3.1 in its default mode (tus 1.0) in headless Chromium, from a page on another origin (CORS):
 * `parallelUploads` (tus concatenation) and an upload interrupted by `abort()` and resumed by a second `Upload` from
 * the server's offset. The bytes on disk must equal the Blob's. (The same client in Node: tus-peers.test.ts.)
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { startTestServer, type TestServer } from './kit/index.js'

// The Chromium fixture lives in the client's tests; the server does not reference that package, so its compiled
// helper is imported by path.
const helperPath = new URL('../../../client/dist/test/chromium.test.helper.js', import.meta.url).href
const tusBundle = fileURLToPath(import.meta.resolve('tus-js-client/dist/tus.min.js'))

const page = `<!doctype html><meta charset="utf-8"><title>tus</title>
<script src="/tus.min.js"></script><script>window.ready = typeof tus === 'object' && tus.isSupported</script>`

/** Deterministic bytes, computed the same way in the page (the function is serialized into it) and in Node. */
function bytesOf(seed: number, size: number): Uint8Array {
  const out = new Uint8Array(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out[i] = x & 0xff
  }
  return out
}

interface Seen {
  method: string
  url: string
  offset?: string
  concat?: string
}

function serveStatic(): Promise<{ server: Server; origin: string }> {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(page)
    if (path === '/tus.min.js')
      return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(await readFile(tusBundle))
    res.writeHead(404).end()
  })
  return new Promise((r) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address()
      r({ server, origin: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}` })
    }),
  )
}

describe('tus-js-client (default mode, tus 1.0) in headless Chromium', () => {
  let browser: Browser
  let upstream: TestServer
  let statics: { server: Server; origin: string }

  before(async () => {
    const { launchChromium } = (await import(helperPath)) as { launchChromium: () => Promise<Browser> }
    browser = await launchChromium()
    upstream = await startTestServer({ cors: { origins: '*' } })
    statics = await serveStatic()
  })
  after(async () => {
    const results = await Promise.allSettled([
      browser?.close(),
      upstream?.close(),
      statics &&
        new Promise((r) => {
          statics.server.closeAllConnections()
          statics.server.close(r)
        }),
    ])
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  })

  /** A fresh page on the static origin, recording the requests that reach the upload server (not preflights). */
  async function open(): Promise<{ p: Page; seen: Seen[]; errors: string[] }> {
    const p = await browser.newPage()
    const errors: string[] = []
    const seen: Seen[] = []
    p.on('pageerror', (e) => errors.push(e.message))
    // Recorded when the request is issued (synchronously, in order): its response may still be on its way when the
    // page's promise resolves.
    p.on('request', (q) => {
      if (!q.url().startsWith(upstream.url) || q.method() === 'OPTIONS') return
      const h = q.headers()
      seen.push({
        method: q.method(),
        url: q.url(),
        ...(h['upload-offset'] !== undefined ? { offset: h['upload-offset'] } : {}),
        ...(h['upload-concat'] !== undefined ? { concat: h['upload-concat'] } : {}),
      })
    })
    await p.goto(statics.origin)
    await p.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true)
    return { p, seen, errors }
  }

  const onDisk = (url: string) => readFile(join(upstream.dir, url.split('/').pop()!))

  it('parallelUploads: 3 concatenates three partial uploads into the exact bytes', { timeout: 20_000 }, async () => {
    const SIZE = 4 * 1024 * 1024 + 12_345
    const { p, seen, errors } = await open()
    const url = await p.evaluate(
      async ({ endpoint, size, gen }) => {
        const bytesOf = new Function(`return (${gen})`)() as (seed: number, size: number) => Uint8Array
        const blob = new Blob([bytesOf(1, size)], { type: 'application/octet-stream' })
        const tus = (globalThis as unknown as { tus: typeof import('tus-js-client') }).tus
        return new Promise<string>((resolve, reject) => {
          const u = new tus.Upload(blob, {
            endpoint,
            parallelUploads: 3,
            retryDelays: [],
            metadata: { filename: 'parallel.bin' },
            onError: (e) => reject(String(e)),
            onSuccess: () => resolve(u.url!),
          })
          u.start()
        })
      },
      { endpoint: upstream.url, size: SIZE, gen: bytesOf.toString() },
    )
    assert.deepEqual(errors, [])
    const creations = seen.filter((s) => s.method === 'POST')
    assert.equal(creations.filter((s) => s.concat === 'partial').length, 3, 'three partial uploads were created')
    const final = creations.filter((s) => s.concat?.startsWith('final;'))
    assert.equal(final.length, 1, 'one final (concatenation) upload was created')
    assert.equal(final[0]!.concat!.split(' ').length, 3, 'the final upload names the three partial uploads')
    assert.ok(seen.filter((s) => s.method === 'PATCH').length >= 3, 'each partial upload got its bytes by PATCH')
    assert.deepEqual(new Uint8Array(await onDisk(url)), bytesOf(1, SIZE))
    await p.close()
  })

  it('abort() after some chunks, then a new Upload with uploadUrl resumes from the server offset', {
    timeout: 20_000,
  }, async () => {
    const SIZE = 3 * 1024 * 1024 + 777
    const CHUNK = 512 * 1024
    const { p, seen, errors } = await open()
    const first = await p.evaluate(
      async ({ endpoint, size, chunk, gen }) => {
        const bytesOf = new Function(`return (${gen})`)() as (seed: number, size: number) => Uint8Array
        const blob = new Blob([bytesOf(2, size)])
        const tus = (globalThis as unknown as { tus: typeof import('tus-js-client') }).tus
        return new Promise<{ url: string; accepted: number }>((resolve, reject) => {
          const u: InstanceType<typeof tus.Upload> = new tus.Upload(blob, {
            endpoint,
            chunkSize: chunk,
            retryDelays: [],
            onError: (e) => reject(String(e)),
            onSuccess: () => reject(new Error('completed although aborted')),
            onChunkComplete: (_c, accepted) => {
              if (accepted >= 2 * chunk) u.abort().then(() => resolve({ url: u.url!, accepted }), reject)
            },
          })
          u.start()
        })
      },
      { endpoint: upstream.url, size: SIZE, chunk: CHUNK, gen: bytesOf.toString() },
    )
    assert.equal(first.accepted, 2 * CHUNK, 'aborted after two chunks')
    const firstRun = seen.splice(0)
    assert.deepEqual(
      firstRun.filter((s) => s.method === 'PATCH').map((s) => s.offset),
      ['0', String(CHUNK)],
      'the first run sent two chunks and stopped',
    )
    // The server holds exactly what was acknowledged.
    assert.deepEqual(new Uint8Array(await onDisk(first.url)), bytesOf(2, SIZE).subarray(0, 2 * CHUNK))

    const second = await p.evaluate(
      async ({ uploadUrl, size, chunk, gen }) => {
        const bytesOf = new Function(`return (${gen})`)() as (seed: number, size: number) => Uint8Array
        const blob = new Blob([bytesOf(2, size)])
        const tus = (globalThis as unknown as { tus: typeof import('tus-js-client') }).tus
        return new Promise<{ url: string; firstAccepted: number }>((resolve, reject) => {
          let firstAccepted = -1
          const u = new tus.Upload(blob, {
            uploadUrl,
            chunkSize: chunk,
            retryDelays: [],
            onError: (e) => reject(String(e)),
            onChunkComplete: (c, accepted) => {
              if (firstAccepted < 0) firstAccepted = accepted - c
            },
            onSuccess: () => resolve({ url: u.url!, firstAccepted }),
          })
          u.start()
        })
      },
      { uploadUrl: first.url, size: SIZE, chunk: CHUNK, gen: bytesOf.toString() },
    )
    assert.deepEqual(errors, [])
    assert.equal(second.url, first.url, 'the same upload resource')
    assert.equal(seen[0]?.method, 'HEAD', 'the resumed run first asked the server for its offset')
    assert.ok(!seen.some((s) => s.method === 'POST'), 'no new upload was created')
    const patches = seen.filter((s) => s.method === 'PATCH').map((s) => Number(s.offset))
    assert.equal(patches[0], 2 * CHUNK, 'the resumed run started at the server offset, not at 0')
    assert.equal(second.firstAccepted, 2 * CHUNK)
    assert.deepEqual(
      patches,
      [2, 3, 4, 5, 6].map((k) => k * CHUNK),
      'then every remaining chunk once, in order',
    )
    assert.deepEqual(new Uint8Array(await onDisk(second.url)), bytesOf(2, SIZE))
    await p.close()
  })
})
