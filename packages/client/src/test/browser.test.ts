/**
 * The browser entry in headless Chromium: the compiled ESM files are served as they are (an import map resolves
 * `@rufh/protocol` and `structured-headers`), a Blob upload is paused and resumed, and a proxy cuts its connection
 * midway. The server must end with the exact bytes.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { dirname, extname, join, normalize, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import { launchChromium } from './chromium.test.helper.js'
import { type CutProxy, startCutProxy } from './cut-proxy.test.helper.js'
import { startTestServer, type TestServer } from './server.test.helper.js'

const here = dirname(fileURLToPath(import.meta.url))
const roots: Record<string, string> = {
  client: resolve(here, '..'),
  protocol: resolve(here, '../../../protocol/dist'),
  sh: dirname(fileURLToPath(import.meta.resolve('structured-headers'))),
}

const page = `<!doctype html><meta charset="utf-8"><title>rufh</title>
<script type="importmap">{"imports":{"@rufh/protocol":"/protocol/index.js","structured-headers":"/sh/index.js"}}</script>
<script type="module">import * as rufh from '/client/browser.js'; window.rufh = rufh; window.ready = true</script>`

function serveStatic(): Promise<{ server: Server; origin: string }> {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page)
      return
    }
    const [, root, ...rest] = path.split('/')
    const base = roots[root ?? '']
    const file = base && normalize(join(base, ...rest))
    if (!base || !file?.startsWith(base)) return void res.writeHead(404).end()
    try {
      const body = await readFile(file)
      const type = extname(file) === '.js' ? 'text/javascript' : 'application/octet-stream'
      res.writeHead(200, { 'content-type': type }).end(body)
    } catch {
      res.writeHead(404).end()
    }
  })
  return new Promise((r) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address()
      r({ server, origin: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}` })
    }),
  )
}

/** Every module reachable from browser.js, and whether any of them imports `node:*`. */
async function moduleGraph(entry: string): Promise<{ files: string[]; nodeImports: string[] }> {
  const seen = new Set<string>()
  const nodeImports: string[] = []
  const todo = [entry]
  while (todo.length) {
    const f = todo.pop()!
    if (seen.has(f)) continue
    seen.add(f)
    const src = await readFile(f, 'utf8')
    for (const m of src.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*['"]([^'"]+)['"]/g)) {
      const spec = m[1] ?? m[2]!
      if (spec.startsWith('node:')) nodeImports.push(`${f}: ${spec}`)
      else if (spec.startsWith('.')) todo.push(resolve(dirname(f), spec))
      else if (spec === '@rufh/protocol') todo.push(join(roots['protocol']!, 'index.js'))
      else if (spec === 'structured-headers') todo.push(join(roots['sh']!, 'index.js'))
      else nodeImports.push(`${f}: unmapped bare specifier ${spec}`)
    }
  }
  return { files: [...seen], nodeImports }
}

describe('browser entry', () => {
  it('imports nothing from node:* (whole module graph)', async () => {
    const g = await moduleGraph(join(roots['client']!, 'browser.js'))
    assert.deepEqual(g.nodeImports, [])
    assert.ok(g.files.length > 10)
  })
})

describe('headless Chromium', () => {
  let browser: Browser
  let upstream: TestServer
  let proxy: CutProxy
  let statics: { server: Server; origin: string }
  const SIZE = 3 * 1024 * 1024

  before(async () => {
    browser = await launchChromium()
    upstream = await startTestServer(undefined, { cors: { origins: '*' } })
    // Cut the connections that carry the bytes at ~1.9 MB and ~2.0 MB (after the pause, before the end).
    proxy = await startCutProxy(upstream.port, { cutAtTotal: [1_900_000, 2_000_000] })
    statics = await serveStatic()
  })
  after(async () => {
    // Every resource is released even when one of them fails to close (a listener left open would keep the test
    // process alive, and the runner would wait for it forever).
    const results = await Promise.allSettled([
      browser?.close(),
      proxy?.close(),
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

  it('uploads a Blob with pause/resume and a cut connection, byte-exact', { timeout: 60_000 }, async () => {
    const p = await browser.newPage()
    const errors: string[] = []
    p.on('pageerror', (e) => errors.push(e.message))
    if (process.env['RUFH_DEBUG'])
      p.on('requestfinished', async (q) =>
        console.log(q.method(), q.url().slice(-12), (await q.response())?.status(), q.headers()['upload-offset'] ?? ''),
      )
    if (process.env['RUFH_DEBUG'])
      p.on('requestfailed', (q) => console.log('FAILED', q.method(), q.failure()?.errorText))
    await p.goto(statics.origin)
    await p.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true)
    const endpoint = proxy.via(upstream.url)
    const r = await p.evaluate(
      async ({ endpoint, size }) => {
        type Rufh = typeof import('../browser.js')
        const rufh = (window as unknown as { rufh: Rufh }).rufh
        const bytes = new Uint8Array(size)
        for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536))
        const blob = new File([bytes], 'random.bin', { type: 'application/octet-stream', lastModified: 1 })
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
        const up = rufh.createUpload(blob, { endpoint, chunkSize: 512 * 1024, retry: { baseDelay: 50 } })
        let retries = 0
        up.on('retry', () => retries++)
        let pausedAt = -1
        let sentWhilePaused = 0
        up.on('progress', (pr) => {
          if (up.status === 'paused') sentWhilePaused++
          if (pausedAt < 0 && pr.sent > 1024 * 1024) {
            pausedAt = pr.sent
            up.pause()
            setTimeout(() => up.resume(), 400)
          }
        })
        const res = await up.start()
        return {
          url: res.url,
          size: res.size,
          interop: res.interop,
          digest: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''),
          pausedAt,
          sentWhilePaused,
          retries,
          stored: localStorage.length,
        }
      },
      { endpoint, size: SIZE },
    )
    assert.deepEqual(errors, [])
    assert.equal(r.size, SIZE)
    assert.equal(r.interop, 10)
    assert.ok(r.pausedAt > 0, 'the upload was paused')
    assert.equal(r.sentWhilePaused, 0, 'nothing was sent while paused')
    assert.ok(proxy.cuts >= 1, 'the proxy cut a connection')
    // Chromium replays a request cut on a reused connection once by itself (the server then answers 409 and the
    // client resyncs); the second cut lands on that replay, so XHR reports the error and the client retries.
    assert.ok(r.retries >= 1, 'the client retried after a cut')
    assert.equal(r.stored, 0, 'localStorage is cleared once complete')
    const stored = await upstream.bytesOf(r.url!)
    assert.equal(createHash('sha256').update(stored).digest('hex'), r.digest)
  })
  it('resumes after a page reload from localStorage (same File identity)', { timeout: 60_000 }, async () => {
    const p = await browser.newPage()
    const errors: string[] = []
    p.on('pageerror', (e) => errors.push(e.message))
    const endpoint = upstream.url
    const makeAndUpload = async (phase: 'first' | 'second') => {
      await p.goto(statics.origin)
      await p.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true)
      return p.evaluate(
        async ({ endpoint, phase }) => {
          type Rufh = typeof import('../browser.js')
          const rufh = (window as unknown as { rufh: Rufh }).rufh
          // The same bytes, name and lastModified in both phases: the same File identity for the fingerprint.
          const bytes = new Uint8Array(2 * 1024 * 1024)
          let x = 12345
          for (let i = 0; i < bytes.length; i++) {
            x = (x * 1103515245 + 12345) >>> 0
            bytes[i] = x >>> 24
          }
          const file = new File([bytes], 'resume.bin', { lastModified: 2 })
          const up = rufh.createUpload(file, { endpoint, chunkSize: 256 * 1024 })
          let resumedAt = -1
          up.on('resumed', (e) => {
            resumedAt = e.offset
          })
          if (phase === 'first')
            up.on('progress', (pr) => {
              if (pr.acked >= 1024 * 1024) void up.abort()
            })
          let url: string | undefined
          let error = ''
          try {
            url = (await up.start()).url
          } catch (e) {
            error = (e as { code?: string }).code ?? String(e)
            url = up.url
          }
          const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
          return {
            url,
            error,
            resumedAt,
            stored: localStorage.length,
            digest: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''),
          }
        },
        { endpoint, phase },
      )
    }
    const first = await makeAndUpload('first')
    assert.equal(first.error, 'ERR_ABORTED')
    assert.equal(first.stored, 1, 'the unfinished upload is remembered')
    const second = await makeAndUpload('second')
    assert.equal(second.error, '')
    assert.equal(second.url, first.url, 'the same upload resource continued')
    assert.ok(second.resumedAt >= 1024 * 1024, `resumed at ${second.resumedAt}`)
    assert.equal(second.stored, 0)
    assert.deepEqual(errors, [])
    const stored = await upstream.bytesOf(second.url!)
    assert.equal(createHash('sha256').update(stored).digest('hex'), second.digest)
  })
})
