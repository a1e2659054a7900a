import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { type ApiServer, startApi } from './api.js'
import { Netsim } from './netsim.js'
import { collect, connectTo, echoServer, type TcpServer, within } from './test-helpers.js'

let ns: Netsim
let api: ApiServer
let echo: TcpServer

before(async () => {
  echo = await echoServer()
  ns = new Netsim({ seed: 3 })
  api = await startApi(ns, '127.0.0.1:0')
})
after(async () => {
  await api.close()
  await ns.close()
  await echo.close()
})

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { 'user-agent': 'test', ...headers } }
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body)
  const res = await fetch(`${api.url}${path}`, init)
  const text = await res.text()
  return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) }
}

test('proxies: create 201 with the bound address, duplicate 409, show, list, update, delete 204, unknown 404', async () => {
  const created = await call('POST', '/proxies', { name: 'api1', listen: '127.0.0.1:0', upstream: echo.address })
  assert.equal(created.status, 201)
  assert.equal(created.json!['name'], 'api1')
  assert.match(created.json!['listen'] as string, /^127\.0\.0\.1:[1-9]\d*$/)
  assert.equal(created.json!['enabled'], true)
  assert.deepEqual(created.json!['toxics'], [])

  const dup = await call('POST', '/proxies', { name: 'api1', upstream: echo.address })
  assert.equal(dup.status, 409)
  assert.deepEqual(dup.json, { error: 'proxy already exists: api1', status: 409, code: 'ERR_PROXY_EXISTS' })

  assert.equal((await call('GET', '/proxies/api1')).json!['upstream'], echo.address)
  const list = await call('GET', '/proxies')
  assert.equal(list.status, 200)
  assert.deepEqual(Object.keys(list.json!), ['api1'])

  const disabled = await call('PATCH', '/proxies/api1', { enabled: false })
  assert.equal(disabled.status, 200)
  assert.equal(disabled.json!['enabled'], false)
  assert.equal((await call('POST', '/proxies/api1', { enabled: true })).json!['enabled'], true)

  assert.equal((await call('DELETE', '/proxies/api1')).status, 204)
  const gone = await call('GET', '/proxies/api1')
  assert.equal(gone.status, 404)
  assert.equal(gone.json!['error'], 'proxy not found: api1')
  assert.equal((await call('DELETE', '/proxies/api1')).status, 404)
})

test('toxics: create 200 with toxiproxy defaults, duplicate 409, show, update merges, delete 204', async () => {
  await call('POST', '/proxies', { name: 'api2', upstream: echo.address })
  const t = await call('POST', '/proxies/api2/toxics', { type: 'latency', attributes: { latency: 10 } })
  assert.equal(t.status, 200)
  assert.deepEqual(t.json, {
    attributes: { latency: 10, jitter: 0 },
    name: 'latency_downstream',
    type: 'latency',
    stream: 'downstream',
    toxicity: 1,
  })
  assert.equal((await call('POST', '/proxies/api2/toxics', { type: 'latency' })).status, 409)
  await call('POST', '/proxies/api2/toxics', {
    type: 'bandwidth',
    stream: 'upstream',
    name: 'bw',
    attributes: { rate: 5 },
  })
  const list = await call('GET', '/proxies/api2/toxics')
  assert.deepEqual(
    (list.json as unknown as { name: string }[]).map((x) => x.name),
    ['bw', 'latency_downstream'],
    'upstream toxics are listed first, as toxiproxy does',
  )
  const upd = await call('POST', '/proxies/api2/toxics/latency_downstream', {
    attributes: { jitter: 5 },
    toxicity: 0.5,
  })
  assert.equal(upd.status, 200)
  assert.deepEqual(upd.json!['attributes'], { latency: 10, jitter: 5 })
  assert.equal(upd.json!['toxicity'], 0.5)
  assert.equal((await call('GET', '/proxies/api2/toxics/bw')).json!['stream'], 'upstream')
  assert.equal((await call('DELETE', '/proxies/api2/toxics/bw')).status, 204)
  assert.equal((await call('GET', '/proxies/api2/toxics/bw')).status, 404)
  assert.equal((await call('DELETE', '/proxies/api2/toxics/bw')).status, 404)
  assert.equal((await call('GET', '/proxies/nope/toxics')).status, 404)
})

test('bad input gets a 4xx JSON error naming the problem, and the API keeps working', async () => {
  await call('POST', '/proxies', { name: 'api3', upstream: echo.address })
  const cases: [string, string, unknown, number, RegExp][] = [
    ['POST', '/proxies', '{not json', 400, /bad request body/],
    ['POST', '/proxies', { upstream: echo.address }, 400, /missing required field: name/],
    ['POST', '/proxies', { name: 'x' }, 400, /missing required field: upstream/],
    ['POST', '/proxies', { name: 'x', upstream: 'nohost' }, 400, /missing port/],
    ['POST', '/proxies', { name: 'x', upstream: '192.0.2.1:80' }, 400, /not a loopback address/],
    ['POST', '/proxies', { name: 'x', upstream: echo.address, enabled: 'yes' }, 400, /enabled/],
    ['POST', '/proxies', [1, 2], 400, /JSON object/],
    ['POST', '/proxies/api3/toxics', { type: 'nope' }, 400, /invalid toxic type/],
    ['POST', '/proxies/api3/toxics', { type: 'latency', stream: 'sideways' }, 400, /stream was invalid/],
    ['POST', '/proxies/api3/toxics', { type: 'latency', attributes: { latency: -1 } }, 400, />= 0/],
    ['POST', '/proxies/api3/toxics', { type: 'latency', attributes: { latency: 1.5 } }, 400, /integer/],
    ['POST', '/proxies/api3/toxics', { type: 'latency', attributes: { latnecy: 5 } }, 400, /no attribute "latnecy"/],
    ['POST', '/proxies/api3/toxics', { type: 'latency', toxicity: 2 }, 400, /toxicity/],
    [
      'POST',
      '/proxies/api3/toxics',
      { type: 'slicer', attributes: { average_size: 10, size_variation: 10 } },
      400,
      /smaller/,
    ],
    ['POST', '/proxies/api3/toxics', { type: 'http_strip_1xx', stream: 'upstream' }, 400, /downstream stream only/],
    [
      'POST',
      '/proxies/api3/toxics',
      { type: 'http_cut_body', attributes: { action: 'explode' } },
      400,
      /one of close, reset, hang/,
    ],
    ['POST', '/proxies/api3/toxics/missing', { toxicity: 1 }, 404, /toxic not found/],
    ['PUT', '/proxies', {}, 405, /not allowed/],
    ['GET', '/nothing/here', undefined, 404, /no route/],
    ['POST', '/populate', { name: 'x' }, 400, /array/],
  ]
  for (const [method, path, body, status, message] of cases) {
    const r = await call(method, path, body)
    assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}`)
    assert.equal(r.json!['status'], status)
    assert.match(r.json!['error'] as string, message)
    assert.match(r.json!['code'] as string, /^ERR_/)
  }
  const big = await call('POST', '/proxies', 'x'.repeat(2 * 1024 * 1024))
  assert.equal(big.status, 413)
  assert.equal((await call('GET', '/proxies/api3')).status, 200)
})

test('browsers are refused; /version answers toxiproxy-style JSON', async () => {
  const r = await call('GET', '/proxies', undefined, { 'user-agent': 'Mozilla/5.0 (X11)' })
  assert.equal(r.status, 403)
  const v = await call('GET', '/version')
  assert.equal(v.status, 200)
  assert.match(v.json!['version'] as string, /^2\.\d+\.\d+$/)
})

test('populate creates, keeps identical proxies, replaces changed ones; reset enables all and drops toxics', async () => {
  const first = await call('POST', '/populate', [
    { name: 'pop1', upstream: echo.address },
    { name: 'pop2', upstream: echo.address, enabled: false },
  ])
  assert.equal(first.status, 201)
  const proxies = first.json!['proxies'] as { name: string; listen: string; enabled: boolean }[]
  assert.deepEqual(
    proxies.map((p) => [p.name, p.enabled]),
    [
      ['pop1', true],
      ['pop2', false],
    ],
  )
  const listen1 = proxies[0]!.listen
  // Same listen (the bound one) and upstream: untouched. A duplicate name within one call: refused, nothing changes.
  const again = await call('POST', '/populate', [{ name: 'pop1', listen: listen1, upstream: echo.address }])
  assert.equal((again.json!['proxies'] as { listen: string }[])[0]!.listen, listen1)
  const dupes = await call('POST', '/populate', [
    { name: 'pop3', upstream: echo.address },
    { name: 'pop3', upstream: echo.address },
  ])
  assert.equal(dupes.status, 400)
  assert.equal((await call('GET', '/proxies/pop3')).status, 404)

  await call('POST', '/proxies/pop1/toxics', { type: 'timeout', attributes: { timeout: 0 } })
  assert.equal((await call('POST', '/reset')).status, 204)
  const after = (await call('GET', '/proxies')).json as Record<string, { enabled: boolean; toxics: unknown[] }>
  assert.equal(after['pop1']!.toxics.length, 0)
  assert.equal(after['pop2']!.enabled, true)
  const port = Number(listen1.split(':')[1])
  const c = await connectTo(port)
  const r = collect(c)
  c.end('still works')
  assert.equal((await within(2000, r)).data.toString(), 'still works')
})
