import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { netsimCommand } from './cli.js'
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

test('--help prints usage and exits 0; bad flags and a lone --listen exit 2', async () => {
  const out = new Capture()
  assert.equal(await netsimCommand(['--help'], { stdout: out, stderr: out }), 0)
  assert.match(out.text, /usage: rufh netsim/)
  assert.match(out.text, /--upstream HOST:PORT/)
  const err = new Capture()
  assert.equal(await netsimCommand(['--bogus'], { stdout: err, stderr: err }), 2)
  assert.match(err.text, /Unknown option '--bogus'/)
  const lone = new Capture()
  assert.equal(await netsimCommand(['--listen', '127.0.0.1:0'], { stdout: lone, stderr: lone }), 2)
  assert.match(lone.text, /--listen needs --upstream/)
})

test('non-loopback addresses are refused without --allow-remote', async (t) => {
  const echo = await echoServer()
  t.after(() => echo.close())
  const err = new Capture()
  const code = await netsimCommand(['--listen', '0.0.0.0:0', '--upstream', echo.address, '--no-api'], {
    stdout: err,
    stderr: err,
  })
  assert.equal(code, 2)
  assert.match(err.text, /not a loopback address.*--allow-remote/)
})

test('runs a proxy and the API until stopped, then closes them', async (t) => {
  const echo = await echoServer()
  t.after(() => echo.close())
  const out = new Capture()
  const stop = new AbortController()
  const running = netsimCommand(
    ['--listen', '127.0.0.1:0', '--upstream', echo.address, '--api', '127.0.0.1:0', '--seed', '77'],
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

test('as a process it stops cleanly on SIGTERM with exit code 0', async (t) => {
  const echo = await echoServer()
  t.after(() => echo.close())
  const cli = fileURLToPath(new URL('./cli.js', import.meta.url))
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { netsimCommand } from ${JSON.stringify(cli)}; process.exitCode = await netsimCommand(process.argv.slice(1))`,
      '--',
      '--upstream',
      echo.address,
      '--no-api',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  t.after(() => child.kill('SIGKILL'))
  const out = new Capture()
  child.stdout.setEncoding('utf8').on('data', (d: string) => out.write(d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => out.write(d))
  const port = Number((await out.waitFor(/proxy netsim 127\.0\.0\.1:(\d+)/))[1])
  await out.waitFor(/ready/)
  const c = await connectTo(port)
  const r = collect(c)
  c.end('x')
  assert.equal((await within(3000, r)).data.toString(), 'x')
  child.kill('SIGTERM')
  const [code] = await within(5000, once(child, 'exit'))
  assert.equal(code, 0, out.text)
  assert.match(out.text, /SIGTERM, stopping/)
})
