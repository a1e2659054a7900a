/** runNetsim: a proxy and the control API from options, until stopped. Its command line is tested in packages/cli. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NetsimError } from './errors.js'
import { runNetsim } from './run-netsim.js'
import { collect, connectTo, echoServer, sleep, within } from './test-helpers.js'

class Capture {
  text = ''
  write(s: string): boolean {
    this.text += s
    return true
  }
  async waitFor(pattern: RegExp, ms = 5000): Promise<RegExpExecArray> {
    const end = Date.now() + ms
    for (;;) {
      const m = pattern.exec(this.text)
      if (m) return m
      if (Date.now() > end) throw new Error(`no ${pattern} in output:\n${this.text}`)
      await sleep(10)
    }
  }
}

test('non-loopback addresses are refused without allowRemote, as a 4xx NetsimError naming --allow-remote', async (t) => {
  const echo = await echoServer()
  t.after(() => echo.close())
  const out = new Capture()
  await assert.rejects(
    runNetsim({ listen: '0.0.0.0:0', upstream: echo.address, api: false }, { stdout: out, stderr: out }),
    (e: unknown) =>
      e instanceof NetsimError && e.status < 500 && /not a loopback address.*--allow-remote/.test(e.message),
  )
})

test('runs a proxy and the API until stopped, then closes them', async (t) => {
  const echo = await echoServer()
  t.after(() => echo.close())
  const out = new Capture()
  const stop = new AbortController()
  const running = runNetsim(
    { listen: '127.0.0.1:0', upstream: echo.address, api: '127.0.0.1:0', seed: 77 },
    { stdout: out, stderr: out, signal: stop.signal },
  )
  await out.waitFor(/netsim: ready/)
  assert.match(out.text, /netsim: seed 77\n/)
  const port = Number((await out.waitFor(/proxy netsim 127\.0\.0\.1:(\d+) -> /))[1])
  const api = (await out.waitFor(/api (http:\/\/\S+)/))[1]!
  const res = await fetch(`${api}/proxies/netsim/toxics`, {
    method: 'POST',
    body: JSON.stringify({ type: 'latency', attributes: { latency: 120 } }),
  })
  assert.equal(res.status, 200)
  const c = await connectTo(port)
  const got = collect(c)
  const t0 = performance.now()
  c.end('through the cli')
  const r = await within(3000, got)
  assert.equal(r.data.toString(), 'through the cli')
  assert.ok(r.first - t0 >= 120)
  stop.abort()
  assert.equal(await within(3000, running), 0)
  await assert.rejects(connectTo(port), { code: 'ECONNREFUSED' })
  await assert.rejects(fetch(`${api}/version`))
})
