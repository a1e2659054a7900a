/**
 * Interruptions at random offsets: a proxy between client and `rufh serve` cuts connections mid-body. Every upload
 * must complete byte-exact, for every interop version, from a file and from a one-pass stream.
 */
import assert from 'node:assert/strict'
import { createReadStream } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { InteropVersion } from '@rufh/protocol'
import { createUpload, NodeHttpTransport } from '../index.js'
import { startCutProxy } from './cut-proxy.test.helper.js'
import { pseudoRandom, startTestServer, type TestServer } from './server.test.helper.js'

const versions: InteropVersion[] = [3, 4, 5, 6, 7, 8, 9, 10]
const SIZE = 1024 * 1024
const CHUNK = 300 * 1024
const retry = { baseDelay: 5, maxDelay: 50, retries: 20 }

describe('uploads cut at random offsets complete byte-exact', () => {
  let server: TestServer
  let file: string
  const data = pseudoRandom(SIZE, 11)
  const seed = Date.now() % 100_000
  let x = seed
  const rand = (n: number) => {
    x = (x * 1103515245 + 12345) % 2 ** 31
    return x % n
  }

  before(async () => {
    server = await startTestServer()
    file = join(server.dir, 'input.bin')
    await writeFile(file, data)
  })
  after(() => server.close())

  for (const v of versions)
    for (const kind of ['file', 'stream'] as const)
      it(`interop ${v}, ${kind} source (seed ${seed})`, async () => {
        // Cut the first three connections somewhere in the body; later ones run clean.
        const perRequest = kind === 'file' ? SIZE : CHUNK
        const proxy = await startCutProxy(server.port, {
          cutAfter: (n) => (n < 3 ? 2000 + rand(perRequest - 4000) : undefined),
        })
        // A private agent-less transport: every request gets a fresh connection, so each cut hits a body.
        const transport = new NodeHttpTransport({ agent: new (await import('node:http')).Agent({ keepAlive: false }) })
        try {
          const input = kind === 'file' ? file : createReadStream(file, { highWaterMark: 64 * 1024 })
          const up = await createUpload(input, {
            endpoint: proxy.via(server.url),
            interop: v,
            retry,
            transport,
            ...(kind === 'stream' ? { chunkSize: CHUNK } : {}),
          })
          let retries = 0
          up.on('retry', () => retries++)
          const r = await up.start()
          const stored = await server.bytesOf(r.url!)
          assert.equal(stored.length, SIZE)
          assert.ok(stored.equals(data), 'stored bytes differ')
          assert.ok(proxy.cuts >= 1, `cuts: ${proxy.cuts}`)
          assert.ok(retries >= 1)
        } finally {
          await proxy.close()
        }
      })
})
