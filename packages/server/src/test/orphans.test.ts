/**
 * Files a crash leaves that no upload names (issue 13): a concatenation streams its parts into the new data file and
 * writes the info file last, so `rufh serve` killed in between leaves a data file that is no upload. The disk store
 * reclaims such files (and temporary info files) once they are older than its `orphanAgeMs`, on the server's sweep,
 * and never a live upload's file or one still being written.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { UploadNotFoundError } from '@rufh/protocol'
import { startServer } from '../adapters/listen.js'
import { isUploadId, newUploadId } from '../ids.js'
import { DiskStore } from '../stores/disk-store.js'
import { header, send } from './kit/index.js'
import { type ServeProcess, serveChildren, spawnServe } from './kit/serve.js'

const LIMIT_MS = 90_000
const MiB = 1024 * 1024
const T = { 'tus-resumable': '1.0.0' }
const HOURS_2 = 2 * 3600

const dirs: string[] = []
after(async () => {
  for (const c of serveChildren) c.kill('SIGKILL')
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function freshDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'rufh-orphans-'))
  dirs.push(d)
  return d
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const idOf = (url: string) => new URL(url).pathname.split('/').pop() ?? ''

function kill9(s: ServeProcess): Promise<void> {
  return new Promise((resolve) => {
    if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve()
    s.child.once('exit', () => resolve())
    s.child.kill('SIGKILL')
  })
}

/** Upload IDs in `dir` that have a data file but no info file. */
async function withoutInfo(dir: string): Promise<string[]> {
  const names = new Set(await readdir(dir))
  return [...names].filter((n) => isUploadId(n) && !names.has(`${n}.json`))
}

const backdate = (path: string) => utimes(path, Date.now() / 1000 - HOURS_2, Date.now() / 1000 - HOURS_2)

test('kill -9 inside a concatenation: its data file without info is reclaimed by the sweep, nothing else', {
  timeout: LIMIT_MS,
}, async () => {
  const dir = await freshDir()
  let srv = await spawnServe(dir)
  const part = randomBytes(16 * MiB)
  const c = await send(srv.url, {
    method: 'POST',
    headers: { ...T, 'upload-concat': 'partial', 'upload-length': String(part.length) },
  })
  assert.equal(c.status, 201)
  const partId = idOf(header(c, 'location') ?? '')
  const p = await send(new URL(`/files/${partId}`, srv.url).href, {
    method: 'PATCH',
    headers: { ...T, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
    body: part,
  })
  assert.equal(p.status, 204, p.body)
  // One part named eight times: a 128 MiB concatenation, long enough to be caught while it streams.
  let orphan: string | undefined
  for (let attempt = 0; attempt < 6 && !orphan; attempt++) {
    const partUrl = new URL(`/files/${partId}`, srv.url).href
    const req = request(srv.url, {
      method: 'POST',
      agent: false,
      headers: { ...T, 'upload-concat': `final;${Array(8).fill(partUrl).join(' ')}` },
    })
    req.on('error', () => {})
    req.on('response', (res) => res.resume())
    req.end()
    const deadline = Date.now() + 10_000
    for (;;) {
      // Killed once the new data file holds some bytes: in the middle of streaming the parts.
      const found = (await withoutInfo(dir)).filter((n) => n !== partId)
      const sizes = await Promise.all(
        found.map((n) =>
          stat(join(dir, n)).then(
            (st) => st.size,
            () => 0,
          ),
        ),
      )
      if (sizes.some((n) => n > 0)) {
        await kill9(srv)
        break
      }
      if (Date.now() > deadline) throw new Error('the concatenation never started')
      await sleep(1)
    }
    // The kill came before the info file was written, or the attempt is repeated (a finished one is an upload).
    orphan = (await withoutInfo(dir)).find((n) => n !== partId)
    if (!orphan) srv = await spawnServe(dir)
  }
  assert.ok(orphan, 'a kill -9 inside a concatenation left a data file without info')
  const size = (await stat(join(dir, orphan))).size
  assert.ok(size > 0 && size < 8 * part.length, `the orphan holds ${size} bytes: the concatenation was cut`)

  // Restarted with the default age (1 h): a file that recent stays (it could be a concatenation still streaming)…
  const store = new DiskStore({ directory: dir })
  assert.equal(await store.reclaim(), 0)
  assert.ok(await stat(join(dir, orphan)))
  // …and once it is older, the server's periodic sweep removes it, with no `max-age` configured.
  await backdate(join(dir, orphan))
  const server = await startServer({ port: 0, directory: dir, expiryIntervalMs: 50 })
  try {
    const deadline = Date.now() + 15_000
    while ((await readdir(dir)).includes(orphan)) {
      if (Date.now() > deadline) throw new Error('the orphan was never reclaimed')
      await sleep(20)
    }
    assert.deepEqual((await readdir(dir)).sort(), [partId, `${partId}.json`].sort(), 'only the partial upload is left')
    const h = await send(`${server.url}${partId}`, { method: 'HEAD', headers: T })
    assert.equal(h.status, 200)
    assert.equal(header(h, 'upload-offset'), String(part.length))
  } finally {
    await server.close()
  }
})

test('DiskStore.reclaim removes only old data files without info and old temporary info files', {
  timeout: LIMIT_MS,
}, async () => {
  const dir = await freshDir()
  const store = new DiskStore({ directory: dir, orphanAgeMs: 60_000 })
  const live = await store.create({ id: newUploadId(), length: 3, expiresAt: undefined, metadata: {} })
  await store.append(
    live.id,
    0,
    (async function* () {
      yield Buffer.from('abc')
    })(),
  )
  const oldOrphan = newUploadId()
  const newOrphan = newUploadId()
  const oldTmp = `${newUploadId()}.json.1234.k3j4h5.tmp`
  const newTmp = `${live.id}.json.1234.zz9.tmp`
  for (const n of [oldOrphan, newOrphan, oldTmp, newTmp, 'notes.txt']) await writeFile(join(dir, n), 'x')
  // Old as they are, a live upload's files and a file that is not the store's are kept.
  for (const n of [oldOrphan, oldTmp, live.id, `${live.id}.json`, 'notes.txt']) await backdate(join(dir, n))
  assert.equal(await store.reclaim(), 2)
  assert.deepEqual(
    (await readdir(dir)).sort(),
    [live.id, `${live.id}.json`, newOrphan, newTmp, 'notes.txt'].sort(),
    'old orphans gone; live uploads, recent files and foreign files kept',
  )
  assert.equal((await store.get(live.id)).offset, 3)
  assert.equal(await store.reclaim(), 0)
})

test('DiskStore: an empty info file (kill -9 between a creation making it and writing it) is no upload, reclaimed once old', {
  timeout: LIMIT_MS,
}, async () => {
  const dir = await freshDir()
  const store = new DiskStore({ directory: dir, orphanAgeMs: 60_000 })
  const live = await store.create({ id: newUploadId(), length: 3, expiresAt: undefined, metadata: {} })
  const [oldCut, newCut] = [newUploadId(), newUploadId()]
  for (const id of [oldCut, newCut]) {
    await writeFile(join(dir, id), 'ab')
    await writeFile(join(dir, `${id}.json`), '')
  }
  await assert.rejects(store.get(oldCut), (e: Error) => e instanceof UploadNotFoundError)
  assert.deepEqual(
    (await collect(store.list())).map((u) => u.id),
    [live.id],
    'listing skips an upload whose info is empty',
  )
  for (const n of [oldCut, `${oldCut}.json`, live.id, `${live.id}.json`]) await backdate(join(dir, n))
  assert.equal(await store.reclaim(), 2)
  assert.deepEqual(
    (await readdir(dir)).sort(),
    [live.id, `${live.id}.json`, newCut, `${newCut}.json`].sort(),
    'the old cut creation is gone (info and data); a recent one and the live upload are kept',
  )
  // The recent one is looked at again by the next sweep (only it: not every info file), and goes once it is old.
  for (const n of [newCut, `${newCut}.json`]) await backdate(join(dir, n))
  assert.equal(await store.reclaim(), 2)
  assert.deepEqual((await readdir(dir)).sort(), [live.id, `${live.id}.json`].sort())
  assert.equal((await store.get(live.id)).length, 3)
})

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}
