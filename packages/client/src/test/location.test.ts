import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { after, describe, it } from 'node:test'
import { createNodeHandler } from '@rufh/server'
import { createUpload } from '../index.js'
import { pseudoRandom } from './server.test.helper.js'

/**
 * rufh's handler, with the final responses' Location rewritten to another host name for the same server (as a reverse
 * proxy rewriting final headers but not interim ones would): the 104 says 127.0.0.1, the final response localhost.
 */
async function rewritingServer(dir: string) {
  const handle = createNodeHandler({ directory: dir, progressIntervalMs: 0 })
  const srv = createServer((req, res) => {
    const writeHead = res.writeHead.bind(res) as (...a: unknown[]) => ServerResponse
    res.writeHead = ((status: number, ...rest: unknown[]) => {
      const headers = rest.find((r) => typeof r === 'object' && r !== null) as Record<string, string> | undefined
      if (headers?.location) headers.location = headers.location.replace('127.0.0.1', 'localhost')
      return writeHead(status, ...rest)
    }) as typeof res.writeHead
    void handle(req, res)
  })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  return { srv, port: (srv.address() as { port: number }).port }
}

describe("when the 104's Location and the final one differ", () => {
  const cleanup: (() => Promise<void>)[] = []
  after(async () => {
    for (const c of cleanup) await c()
  })

  it('the client continues at the final response’s Location (a proxy rewrote only that one)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rufh-client-location-'))
    const { srv, port } = await rewritingServer(dir)
    cleanup.push(async () => {
      srv.close()
      await rm(dir, { recursive: true, force: true })
    })
    // A stream source: the creation carries its first 8 MiB window only, so the upload goes on with an append.
    const data = pseudoRandom(10 * 1024 * 1024, 5)
    const urls: string[] = []
    const u = await createUpload(Readable.from([data]), { endpoint: `http://127.0.0.1:${port}/files/`, interop: 6 })
    u.on('url', (e) => {
      urls.push(e.url)
    })
    const r = await u.start()
    const url = String(r.url)
    assert.match(url, /^http:\/\/localhost:\d+\/files\//, url)
    assert.deepEqual(
      urls.map((u) => new URL(u).hostname),
      ['127.0.0.1', 'localhost'],
    )
    assert.deepEqual(await readFile(join(dir, url.split('/').pop()!)), data)
  })
})
