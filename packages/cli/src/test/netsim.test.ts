/** `rufh netsim` as a process: it proxies, and stops cleanly on SIGTERM with exit code 0. */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { test } from 'node:test'
import { BIN } from './run.js'

test('rufh netsim proxies to its upstream and stops cleanly on SIGTERM with exit code 0', {
  timeout: 30_000,
}, async (t) => {
  const echo = net.createServer((s) => s.pipe(s))
  echo.listen(0, '127.0.0.1')
  await once(echo, 'listening')
  t.after(() => echo.close())
  const upstream = `127.0.0.1:${(echo.address() as net.AddressInfo).port}`
  const child = spawn(process.execPath, [BIN, 'netsim', '--upstream', upstream, '--no-api', '--seed', '5'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.after(() => child.kill('SIGKILL'))
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d))
  while (!/netsim: ready/.test(out)) {
    assert.equal(child.exitCode, null, out)
    await new Promise((r) => setTimeout(r, 20))
  }
  assert.match(out, /^netsim: seed 5\n/)
  const port = Number(/proxy netsim 127\.0\.0\.1:(\d+) -> /.exec(out)?.[1])
  const c = net.connect(port, '127.0.0.1')
  let echoed = ''
  c.setEncoding('utf8').on('data', (d: string) => (echoed += d))
  c.end('through rufh netsim')
  await once(c, 'close')
  assert.equal(echoed, 'through rufh netsim')
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  assert.equal(code, 0, out)
  assert.match(out, /SIGTERM, stopping/)
})
