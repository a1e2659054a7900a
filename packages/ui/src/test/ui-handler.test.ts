/**
 * What `createUiHandler` serves, over a real socket in front of the upload handler (`startServer({ routes })`): the
 * page with a policy that allows its one inline import map by hash, exactly the modules reachable from the page's
 * entry (the browser build of @rufh/client, no Node modules), nothing else; and `rufh serve --ui` refusing a
 * base path of `/`.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type RunningServer, startServer } from '@rufh/server'
import { createUiHandler } from '../index.js'
import { loadModules } from '../modules.js'
import { rufh } from './processes.test.helper.js'

describe('createUiHandler', { timeout: 30_000 }, () => {
  let dir: string
  let server: RunningServer
  let origin: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rufh-ui-handler-'))
    server = await startServer({
      port: 0,
      directory: dir,
      basePath: '/up/',
      routes: createUiHandler({ endpoint: 'up' }),
    })
    origin = new URL(server.url).origin
  })
  after(async () => {
    await server.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('serves the page at / with the endpoint, an import map allowed by its hash, and no-sniff', async () => {
    const r = await fetch(`${origin}/`)
    assert.equal(r.status, 200)
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8')
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff')
    const html = await r.text()
    assert.match(html, /<meta name="rufh-endpoint" content="\/up\/">/)
    const map = /<script type="importmap">(.*?)<\/script>/s.exec(html)?.[1]
    assert.ok(map, 'an inline import map')
    const hash = createHash('sha256').update(map).digest('base64')
    const csp = r.headers.get('content-security-policy') ?? ''
    assert.match(csp, /default-src 'none'/)
    assert.ok(csp.includes(`script-src 'self' 'sha256-${hash}'`), csp)
    assert.deepEqual(Object.keys(JSON.parse(map).imports).sort(), [
      '@rufh/client/browser',
      '@rufh/protocol',
      'structured-headers',
    ])
  })

  it('serves every module of the page, and the stylesheet; HEAD sends the length without a body', async () => {
    const modules = loadModules()
    assert.ok(modules.files.has('/ui/m/client/browser.js'))
    assert.ok(modules.files.size > 20, `${modules.files.size} modules`)
    for (const url of [...modules.files.keys(), '/ui/app.css']) {
      const r = await fetch(`${origin}${url}`)
      assert.equal(r.status, 200, url)
      assert.match(r.headers.get('content-type') ?? '', url.endsWith('.css') ? /^text\/css/ : /^text\/javascript/)
      const body = Buffer.from(await r.arrayBuffer())
      if (url !== '/ui/app.css') assert.ok(body.equals(modules.files.get(url)!), url)
      assert.doesNotMatch(body.toString(), /from ['"]node:/, `${url} imports no node:* module`)
    }
    const head = await fetch(`${origin}/`, { method: 'HEAD' })
    assert.equal(head.status, 200)
    assert.ok(Number(head.headers.get('content-length')) > 1000)
    assert.equal((await head.arrayBuffer()).byteLength, 0)
  })

  it('leaves everything else to the upload handler; other methods on its paths get 405', async () => {
    const post = await fetch(`${origin}/`, { method: 'POST', body: 'x' })
    assert.equal(post.status, 405)
    assert.equal(post.headers.get('allow'), 'GET, HEAD')
    // Node's own entry of the client and files next to the served ones are not served.
    for (const path of ['/ui/m/client/index.js', '/ui/m/client/transports/node-http.js', '/ui/m/page/../../../x'])
      assert.notEqual((await fetch(`${origin}${path}`)).status, 200, path)
    const options = await fetch(server.url, { method: 'OPTIONS', headers: { 'upload-draft-interop-version': '10' } })
    assert.ok(options.status === 200 || options.status === 204, `OPTIONS ${server.url}: ${options.status}`)
    const created = await fetch(server.url, {
      method: 'POST',
      headers: { 'upload-draft-interop-version': '10', 'upload-complete': '?1' },
      body: 'hello',
    })
    assert.equal(created.status, 201)
  })
})

describe('rufh serve --ui', { timeout: 30_000 }, () => {
  it('refuses --base-path / (the page lives there) with exit code 2', async () => {
    const c = rufh(['serve', '--ui', '--base-path', '/', '--port', '0', '--dir', join(tmpdir(), 'rufh-ui-never')])
    const [code] = await once(c.child, 'exit')
    assert.equal(code, 2)
    assert.match(c.out, /--ui serves the page at \/, so --base-path must be another path/)
  })
})
