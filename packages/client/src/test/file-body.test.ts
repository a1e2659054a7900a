/**
 * File bodies in the Node transports (transports/node-file-body.ts): read into two reused buffers, so these check
 * what reuse could break — bytes of a many-buffer file arrive exact over HTTP/1.1 and HTTP/2 from any offset, a file
 * that shrinks mid-body fails with ERR_SOURCE, and an early final response stops the reads and closes the file — both
 * with synchronous reads (page cache) and after reads judged to come from the disk moved the rest to the thread pool;
 * and which reads are watched for a context switch (the judgement that makes the move).
 */
import assert from 'node:assert/strict'
import { readdirSync, readlinkSync, truncateSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { createUpload, FileSource, NodeHttp2Transport, NodeHttpTransport, type Transport } from '../index.js'
import { DISK_READS_TO_SWITCH, HTTP1_READ_SIZE, readPolicy, sendFileRange } from '../transports/node-file-body.js'
import { pseudoRandom, startTestServer, type TestServer } from './server.test.helper.js'

// Five and a half HTTP/2 read buffers (88 of HTTP/1.1's), not a multiple of any power of two.
const SIZE = 5 * 1024 * 1024 + 524_411

/** A node:http server on 127.0.0.1 that runs `onRequest` for every request. */
async function plainServer(onRequest: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const s = http.createServer(onRequest)
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/`
  return {
    url,
    close: () =>
      new Promise<void>((r) => {
        s.closeAllConnections()
        s.close(() => r())
      }),
  }
}

/** How many of this process's file descriptors are open on `path`. */
function fdsOn(path: string): number {
  let n = 0
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++
    } catch {
      // Closed between the listing and the look-up.
    }
  }
  return n
}

const MODES = ['synchronous reads', 'thread pool'] as const
const chunkSizes = [Number.POSITIVE_INFINITY, 1_500_000]
/** One body for the whole file, then one per 1.5 MB slice. */
const BODIES = 1 + Math.ceil(SIZE / 1_500_000)
const defaultPolicy = readPolicy.fromDisk

/** Reads stay synchronous, or every read counts as a disk read (the switch comes soon); counts the judgements. */
function useMode(mode: (typeof MODES)[number]): { count: number } {
  const judged = { count: 0 }
  readPolicy.fromDisk = () => {
    judged.count++
    return mode === 'thread pool'
  }
  return judged
}

describe('synchronous file reads', () => {
  it('count as disk reads only when they slept, and for longer than a page-cache read takes', () => {
    assert.equal(
      defaultPolicy(50, () => true),
      true,
    )
    // Preempted on a loaded machine, not waiting for the disk.
    assert.equal(
      defaultPolicy(50, () => false),
      false,
    )
    assert.equal(
      defaultPolicy(0.2, () => true),
      false,
    )
  })
})

describe('disk-read detection around synchronous reads', () => {
  const SMALL = 10 * HTTP1_READ_SIZE + 123
  const CHUNKS = Math.ceil(SMALL / HTTP1_READ_SIZE)
  let dir: string
  let file: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rufh-file-body-'))
    file = join(dir, 'small.bin')
    await writeFile(file, pseudoRandom(SMALL, 5))
  })
  after(async () => {
    readPolicy.fromDisk = defaultPolicy
    await rm(dir, { recursive: true, force: true })
  })

  /** Sends the file with every read judged slow and the process's switch count rising by `step` per count taken. */
  async function send(step: number) {
    const usage = process.resourceUsage
    let counts = 0
    let switches = 0
    const sleptSeen: boolean[] = []
    process.resourceUsage = () => {
      counts++
      switches += step
      return { ...usage(), voluntaryContextSwitches: switches }
    }
    readPolicy.fromDisk = (_ms, slept) => {
      const s = slept()
      sleptSeen.push(s)
      return s
    }
    const sink = new Writable({
      write(_chunk: Buffer, _encoding, callback) {
        callback()
      },
    })
    try {
      await new Promise<void>((resolve, reject) =>
        sendFileRange(
          { path: file, start: 0, end: SMALL },
          sink,
          'test body',
          { ended: resolve, failed: reject },
          HTTP1_READ_SIZE,
        ),
      )
    } finally {
      process.resourceUsage = usage
      readPolicy.fromDisk = defaultPolicy
    }
    return { counts, sleptSeen }
  }

  it('a slow read, then a slow read that slept: the rest goes to the thread pool', async () => {
    const { counts, sleptSeen } = await send(1)
    // The first slow read counts by its time, unwatched; the second is watched (two counts) and slept.
    assert.deepEqual(sleptSeen, [true, true])
    assert.equal(counts, 2)
    assert.equal(DISK_READS_TO_SWITCH, 2)
  })

  it('slow reads that never slept stay synchronous, and only every other read is watched', async () => {
    const { counts, sleptSeen } = await send(0)
    assert.equal(sleptSeen.length, CHUNKS)
    // Unwatched, watched (did not sleep: the run starts again), unwatched, ...
    assert.deepEqual(
      sleptSeen,
      Array.from({ length: CHUNKS }, (_, i) => i % 2 === 0),
    )
    assert.equal(counts, 2 * Math.floor(CHUNKS / 2))
  })
})

describe('file bodies in the Node transports', { timeout: 60_000 }, () => {
  let server: TestServer
  let file: string
  const data = pseudoRandom(SIZE, 17)

  before(async () => {
    server = await startTestServer()
    file = join(server.dir, 'big.bin')
    await writeFile(file, data)
  })
  after(() => {
    readPolicy.fromDisk = defaultPolicy
    return server.close()
  })

  for (const mode of MODES)
    for (const [name, make] of [
      ['HTTP/1.1', () => new NodeHttpTransport()],
      ['HTTP/2', () => new NodeHttp2Transport()],
    ] as const)
      it(`${name}, ${mode}: a ${SIZE}-byte file arrives byte-exact, whole and in slices starting mid-buffer`, async () => {
        const transport: Transport = make()
        const judged = useMode(mode)
        try {
          for (const chunkSize of chunkSizes) {
            const seen: number[] = []
            const up = await createUpload(file, {
              endpoint: server.url,
              transport,
              chunkSize,
              onProgress: (p) => seen.push(p.sent),
            })
            const r = await up.start()
            assert.ok((await server.bytesOf(r.url!)).equals(data), `chunkSize ${chunkSize}: stored bytes differ`)
            assert.equal(seen.at(-1), SIZE)
            assert.ok(
              seen.every((n, i) => i === 0 || n >= seen[i - 1]!),
              'progress is monotonic',
            )
          }
          // Thread pool: the first reads of each body (every body has at least two) were judged slow, and no later
          // read of it was synchronous.
          if (mode === 'thread pool') assert.equal(judged.count, DISK_READS_TO_SWITCH * BODIES)
          else assert.ok(judged.count > DISK_READS_TO_SWITCH * BODIES, `only ${judged.count} synchronous reads`)
        } finally {
          if (transport instanceof NodeHttp2Transport) transport.close()
        }
      })

  for (const mode of MODES)
    it(`${mode}: a file that shrinks while its body is sent fails with ERR_SOURCE`, async () => {
      useMode(mode)
      const shrinking = join(server.dir, 'shrinking.bin')
      await writeFile(shrinking, data)
      const sink = await plainServer((req, res) => {
        req.resume()
        req.on('end', () => res.end())
      })
      try {
        const source = await FileSource.open(shrinking)
        const { body } = await source.slice(0, SIZE)
        let cut = false
        const sent = new NodeHttpTransport().request({
          method: 'POST',
          url: sink.url,
          headers: {},
          body,
          signal: new AbortController().signal,
          // After the first buffer: the reads that follow find the file 1 MiB long. Synchronously, so that no read can
          // come before the cut (an asynchronous truncate lost that race once in CI, and every byte was sent).
          onProgress: () => {
            if (!cut) truncateSync(shrinking, 1024 * 1024)
            cut = true
          },
        })
        await assert.rejects(sent, { code: 'ERR_SOURCE' })
        assert.ok(cut, 'progress was reported')
      } finally {
        await sink.close()
      }
    })

  for (const mode of MODES)
    it(`${mode}: an early final response stops reading and closes the file`, async () => {
      useMode(mode)
      // Answers at the first body bytes and reads no further, as a server refusing a too large upload may; the
      // connection stays open, so the client must stop by itself.
      const held = new Set<net.Socket>()
      const raw = net.createServer((socket) => {
        held.add(socket)
        socket.once('data', () => {
          socket.pause()
          socket.write('HTTP/1.1 413 Content Too Large\r\ncontent-length: 0\r\n\r\n')
        })
        socket.on('error', () => {})
      })
      await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r))
      try {
        const source = await FileSource.open(file)
        const { body } = await source.slice(0, SIZE)
        const res = await new NodeHttpTransport({ agent: new http.Agent({ keepAlive: false }) }).request({
          method: 'POST',
          url: `http://127.0.0.1:${(raw.address() as AddressInfo).port}/`,
          headers: {},
          body,
          signal: new AbortController().signal,
        })
        assert.equal(res.status, 413)
        // The file is closed asynchronously, within a few ticks of the response.
        for (let i = 0; i < 50 && fdsOn(file) > 0; i++) await new Promise((r) => setTimeout(r, 20))
        assert.equal(fdsOn(file), 0, 'the file is still open')
      } finally {
        for (const s of held) s.destroy()
        await new Promise((r) => raw.close(r))
      }
    })

  it('a sink that takes every chunk at once still lets the event loop run during the body', async () => {
    useMode('synchronous reads')
    // Its write callbacks come on the next tick, as a socket's do when the kernel takes the bytes at once: without a
    // bound, reading and writing would chain ticks until the end and hold back every timer and response.
    let taken = 0
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        taken += chunk.byteLength
        callback()
      },
    })
    let takenWhenLoopRan: number | undefined
    await new Promise<void>((resolve, reject) => {
      sendFileRange(
        { path: file, start: 0, end: SIZE },
        sink,
        'test body',
        {
          progress: () => {
            if (takenWhenLoopRan === undefined) {
              takenWhenLoopRan = -1
              setImmediate(() => {
                takenWhenLoopRan = taken
              })
            }
          },
          ended: resolve,
          failed: reject,
        },
        HTTP1_READ_SIZE,
      )
    })
    assert.equal(taken, SIZE)
    assert.ok(
      takenWhenLoopRan !== undefined && takenWhenLoopRan > 0 && takenWhenLoopRan < SIZE,
      takenWhenLoopRan === -1
        ? 'the event loop did not run before the whole body was sent'
        : `the event loop ran after ${takenWhenLoopRan} of ${SIZE} bytes`,
    )
  })
})
