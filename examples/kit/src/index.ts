/**
 * What every example's test checks through its framework mount, so each example's own test stays a few lines:
 * uploads by @rufh/client and by tus-js-client 4.3.1 land byte-exact in the upload folder, a completed upload
 * downloads through the mount, on node:http mounts the announcing 104 arrives on a raw socket (@rufh/wire), and the
 * app's other routes (`GET /health`, `POST /api/echo` behind a JSON body parser, which every example has) still work.
 * Every example authorizes its uploads with the same demo bearer tokens (`ALICE`, `BOB`): requests without one are
 * refused with 401 and store nothing, and one principal cannot read or continue the other's upload (403).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { upload } from '@rufh/client'
import { exchange, header } from '@rufh/wire'
import { Upload, type UploadOptions } from 'tus-js-client'

/** A running example app. */
export interface App {
  /** `http://127.0.0.1:PORT` */
  origin: string
  close(): Promise<void>
}

export interface MountOptions {
  /** Where the app mounts the upload server, e.g. `/uploads/`. */
  basePath: string
  /** Whether 104 (Upload Resumption Supported) reaches clients: node:http mounts yes, fetch entries no. */
  interim: boolean
}

/** Demo tokens every example's `authorize` accepts (naming principals alice and bob). */
const ALICE = { authorization: 'Bearer alice-token' }
const BOB = { authorization: 'Bearer bob-token' }

const KiB = 1024
const MiB = 1024 * KiB

/** tus-js-client 4.3.1's typings lack the `protocol` option its code reads. */
type TusOptions = UploadOptions & { protocol?: 'tus-v1' | 'ietf-draft-03' | 'ietf-draft-05' }

/** One tus-js-client upload to success (Node: a Buffer input); resolves with the upload URL. */
function tusUpload(file: Buffer, options: TusOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new Upload(file as unknown as Blob, {
      retryDelays: null,
      ...options,
      onSuccess: () => resolve(u.url ?? ''),
      onError: reject,
    })
    u.start()
  })
}

const idOf = (url: string) => new URL(url).pathname.split('/').pop() ?? ''

/**
 * Declares the shared tests for one example: `start(dir)` runs the app with its uploads in `dir` on a free port.
 * `more` adds the example's own tests (its other routes), given the running app.
 */
export function describeMount(
  name: string,
  start: (directory: string) => Promise<App>,
  opts: MountOptions,
  more?: (app: () => App) => void,
): void {
  describe(name, { timeout: 60_000 }, () => {
    let dir: string
    let app: App
    let endpoint: string
    const stored = (url: string) => readFile(join(dir, idOf(url)))

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rufh-example-'))
      app = await start(dir)
      endpoint = `${app.origin}${opts.basePath}`
    })
    after(async () => {
      await app?.close()
      await rm(dir, { recursive: true, force: true })
    })

    it('@rufh/client uploads in several appends (newest interop version), byte-exact on disk', async () => {
      const file = randomBytes(MiB + 123)
      const r = await upload(file, {
        endpoint,
        chunkSize: 256 * KiB,
        headers: ALICE,
        // Without 104s the upload URL must come from an empty creation request (README "As a library").
        creation: opts.interim ? 'auto' : 'careful',
      })
      assert.equal(r.interop, 10)
      assert.ok(r.url?.startsWith(endpoint), `upload URL ${r.url} is under the mount ${endpoint}`)
      assert.ok((await stored(r.url!)).equals(file), 'stored bytes equal the file')
    })

    for (const protocol of ['tus-v1', 'ietf-draft-05'] as const) {
      it(`tus-js-client 4.3.1 (${protocol}) uploads in chunks, byte-exact on disk`, async () => {
        const file = randomBytes(700 * KiB + 9)
        const url = await tusUpload(file, { endpoint, protocol, chunkSize: 256 * KiB, headers: ALICE })
        assert.ok(url.startsWith(endpoint), `upload URL ${url} is under the mount ${endpoint}`)
        assert.ok((await stored(url)).equals(file), 'stored bytes equal the file')
      })
    }

    it(
      opts.interim
        ? 'a raw socket sees the 104 with the upload URL before the 201, and GET downloads the bytes'
        : 'no 104 arrives through the fetch entry (the 201 carries Location), and GET downloads the bytes',
      async () => {
        const body = randomBytes(64 * KiB)
        const r = await exchange(endpoint, {
          method: 'POST',
          headers: { 'upload-draft-interop-version': '10', 'upload-complete': '?1', ...ALICE },
          body,
        })
        assert.equal(r.error, undefined)
        assert.equal(r.final?.status, 201)
        const location = header(r.final!, 'location')
        assert.ok(location, 'the 201 names the upload')
        const interim = r.interim.filter((i) => i.status === 104)
        if (opts.interim) {
          assert.ok(interim.length >= 1, 'a 104 arrived')
          assert.equal(header(interim[0]!, 'location'), location, 'the 104 names the same upload')
        } else assert.deepEqual(interim, [], 'no 104 through a fetch handler')
        const url = new URL(location!, endpoint).href
        assert.ok((await stored(url)).equals(body))
        const got = await fetch(url, { headers: ALICE })
        assert.equal(got.status, 200)
        assert.ok(Buffer.from(await got.arrayBuffer()).equals(body), 'GET through the mount serves the bytes')
      },
    )

    it('offset retrieval (HEAD) through the mount reports what was stored', async () => {
      const draft = { 'upload-draft-interop-version': '10', ...ALICE }
      const created = await fetch(endpoint, {
        method: 'POST',
        headers: { ...draft, 'upload-complete': '?0' },
        body: 'ten bytes!',
      })
      assert.equal(created.status, 201)
      const url = new URL(created.headers.get('location')!, endpoint).href
      const head = await fetch(url, { method: 'HEAD', headers: draft })
      assert.equal(head.status, 204)
      assert.equal(head.headers.get('upload-offset'), '10')
      assert.equal(head.headers.get('upload-complete'), '?0')
    })

    it("the app's other routes still answer: GET /health, POST /api/echo (JSON body parser)", async () => {
      const health = await fetch(`${app.origin}/health`)
      assert.equal(health.status, 200)
      assert.deepEqual(await health.json(), { ok: true })
      const echo = await fetch(`${app.origin}/api/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ hello: 'world' }),
      })
      assert.equal(echo.status, 200)
      assert.deepEqual(await echo.json(), { hello: 'world' })
    })

    it("authorization: no token gets 401 and stores nothing; bob cannot read or continue alice's upload", async () => {
      const files = async () => (await readdir(dir)).length
      const before = await files()
      const draft = { 'upload-draft-interop-version': '10' }
      const anonymous = await fetch(endpoint, {
        method: 'POST',
        headers: { ...draft, 'upload-complete': '?1' },
        body: 'not stored',
      })
      assert.equal(anonymous.status, 401)
      assert.match(anonymous.headers.get('content-type') ?? '', /^application\/problem\+json/)
      assert.equal(await files(), before, 'a denied creation stores nothing')
      const created = await fetch(endpoint, {
        method: 'POST',
        headers: { ...draft, ...ALICE, 'upload-complete': '?0' },
        body: 'first half, ',
      })
      assert.equal(created.status, 201)
      const url = new URL(created.headers.get('location')!, endpoint).href
      const offset = (who: Record<string, string>) => fetch(url, { method: 'HEAD', headers: { ...draft, ...who } })
      assert.equal((await offset(BOB)).status, 403, "bob cannot read alice's offset")
      const append = (who: Record<string, string>) =>
        fetch(url, {
          method: 'PATCH',
          headers: {
            ...draft,
            ...who,
            'upload-offset': '12',
            'upload-complete': '?1',
            'content-type': 'application/partial-upload',
          },
          body: 'second half',
        })
      assert.equal((await append(BOB)).status, 403, "bob cannot continue alice's upload")
      const done = await append(ALICE)
      assert.ok(done.status >= 200 && done.status < 300, `alice completes it (${done.status})`)
      assert.equal(await readFile(join(dir, idOf(url)), 'utf8'), 'first half, second half')
      assert.equal((await fetch(url, { headers: BOB })).status, 403, "bob cannot download alice's upload")
    })

    more?.(() => app)
  })
}
