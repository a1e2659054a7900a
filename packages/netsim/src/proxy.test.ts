import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect } from 'node:net'
import { test } from 'node:test'
import { NetsimError } from './errors.js'
import { collect, connectTo, echoServer, proxyTo, sleep, tcpServer, within, withNetsim } from './test-helpers.js'

test('forwards both ways and passes a half-close on', async (t) => {
  const echo = await echoServer()
  t.after(() => echo.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await proxyTo(ns, echo.address)
    assert.match(p.listen, /^127\.0\.0\.1:\d+$/)
    assert.notEqual(p.port, 0)
    const c = await connectTo(p.port)
    const got = collect(c)
    c.write('hello ')
    c.end('world')
    const r = await within(2000, got)
    assert.equal(r.data.toString(), 'hello world')
    assert.equal(r.how, 'end', 'the echo server ended after our FIN reached it through the proxy')
  })
})

test('an unreachable upstream closes the client without data', async () => {
  const dead = await tcpServer(() => {})
  const addr = dead.address
  await dead.close()
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await proxyTo(ns, addr)
    const c = await connectTo(p.port)
    const r = await within(2000, collect(c))
    assert.equal(r.data.length, 0)
  })
})

test('disabling a proxy closes its connections and stops listening; enabling brings it back on the same port', async (t) => {
  const echo = await echoServer()
  t.after(() => echo.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await proxyTo(ns, echo.address)
    const port = p.port
    const c = await connectTo(port)
    const closed = collect(c)
    c.write('x')
    await sleep(50)
    assert.equal(p.connectionCount, 1)
    await p.update({ enabled: false })
    await within(2000, closed)
    assert.equal(p.port, 0)
    const refused = connect({ host: '127.0.0.1', port })
    const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException]
    assert.equal(err.code, 'ECONNREFUSED')
    await p.update({ enabled: true })
    assert.equal(p.port, port)
    const c2 = await connectTo(port)
    const r2 = collect(c2)
    c2.end('again')
    assert.equal((await within(2000, r2)).data.toString(), 'again')
  })
})

test('proxy names are unique; addresses off loopback are refused unless allowed', async (t) => {
  const echo = await echoServer()
  t.after(() => echo.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    await ns.createProxy({ name: 'a', upstream: echo.address })
    await assert.rejects(
      ns.createProxy({ name: 'a', upstream: echo.address }),
      (e: unknown) => e instanceof NetsimError && e.status === 409,
    )
    await assert.rejects(ns.createProxy({ name: 'b', upstream: '10.1.2.3:80' }), { code: 'ERR_NOT_LOOPBACK' })
    await assert.rejects(ns.createProxy({ name: 'c', upstream: echo.address, listen: '0.0.0.0:0' }), {
      code: 'ERR_NOT_LOOPBACK',
    })
    await assert.rejects(ns.createProxy({ name: 'd', upstream: 'example.com:80' }), { code: 'ERR_NOT_LOOPBACK' })
    assert.deepEqual(
      ns.proxies().map((p) => p.name),
      ['a'],
    )
  })
  await withNetsim({ seed: 1, allowNonLoopback: true }, async (ns) => {
    const p = await ns.createProxy({ name: 'wide', upstream: echo.address, listen: '0.0.0.0:0' })
    assert.match(p.listen, /^0\.0\.0\.0:\d+$/)
    const c = await connectTo(p.port)
    const r = collect(c)
    c.end('x')
    assert.equal((await within(2000, r)).data.toString(), 'x')
  })
})

test('a toxic added to a live connection applies to it, and removing it releases what it held at once', async (t) => {
  const echo = await echoServer()
  t.after(() => echo.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await proxyTo(ns, echo.address)
    const c = await connectTo(p.port)
    c.on('error', () => {})
    p.addToxic({ type: 'latency', attributes: { latency: 2000 } })
    const t0 = performance.now()
    c.write('held')
    const arrived = once(c, 'data')
    await sleep(100)
    p.removeToxic('latency_downstream')
    const [d] = (await within(1000, arrived)) as [Buffer]
    const dt = performance.now() - t0
    assert.equal(d.toString(), 'held')
    assert.ok(dt >= 95 && dt < 1000, `released after ${dt.toFixed(0)} ms, expected right after the removal at 100 ms`)
    c.destroy()
  })
})

test('toxicity picks a seeded subset of connections, the same one for the same seed', async (t) => {
  const echo = await echoServer()
  t.after(() => echo.close())
  const affected = async (seed: number): Promise<number[]> =>
    withNetsim({ seed }, async (ns) => {
      const p = await ns.createProxy({ name: 'tox', upstream: echo.address })
      p.addToxic({ type: 'latency', toxicity: 0.5, attributes: { latency: 1 } })
      const hit = new Set<number>()
      ns.on('fault', (f) => hit.add(f.connection))
      for (let i = 0; i < 24; i++) {
        const c = await connectTo(p.port)
        const r = collect(c)
        c.end('x')
        await within(2000, r)
      }
      return [...hit].sort((a, b) => a - b)
    })
  const a = await affected(11)
  assert.ok(a.length > 3 && a.length < 21, `${a.length} of 24 connections affected at toxicity 0.5`)
  assert.deepEqual(await affected(11), a)
  assert.notDeepEqual(await affected(12), a)
})
