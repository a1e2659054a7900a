import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { after, describe, it } from 'node:test'
import { startTestServer, type TestServer } from './kit/index.js'

describe('server memory during one large append', { timeout: 60_000 }, () => {
  let server: TestServer | undefined
  after(() => server?.close())

  it('stays bounded: the body is not read faster than the disk takes it', async () => {
    server = await startTestServer()
    const size = 128 * 1024 * 1024
    const file = `${server.dir}/payload.bin`
    const out = createWriteStream(file)
    const block = Buffer.alloc(1024 * 1024, 3)
    for (let i = 0; i < size / block.length; i++) if (!out.write(block)) await once(out, 'drain')
    out.end()
    await once(out, 'finish')
    // Our client in another process (so that only the server's memory is measured here): a draft upload of the whole
    // file in one creation request, with progress 104s, the case where reading ahead of the disk was seen.
    const clientModule = new URL('../../../client/dist/index.js', import.meta.url).href
    const client = `
      import { upload } from ${JSON.stringify(clientModule)}
      const [endpoint, file] = process.argv.slice(1)
      const r = await upload(file, { endpoint })
      process.stdout.write('done ' + r.size)`
    const child = spawn(process.execPath, ['--input-type=module', '-e', client, server.url, file, String(size)])
    let answer = ''
    child.stdout.on('data', (d: Buffer) => {
      answer += d.toString()
    })
    let peak = 0
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers)
    }, 5)
    await once(child, 'exit')
    clearInterval(sampler)
    assert.equal(answer, `done ${size}`)
    // Measured: about 1.5 MiB. Each chunk's memory is freed once it is written (stores/release.ts); left to the
    // garbage collector the chunks peaked at about 27 MiB, and reading the body ahead of the disk would hold more.
    assert.ok(peak < 8 * 1024 * 1024, `arrayBuffers peaked at ${Math.round(peak / 1024 / 1024)} MiB`)
  })
})
