/**
 * The server's core installs and runs alone (issue 11): @rufh/protocol and @rufh/server packed as npm would publish
 * them, installed into an empty project, bring neither ioredis, prom-client nor pino, and an upload is created and
 * appended to there through `createFetchHandler` and through `startServer`.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const PACKAGES = fileURLToPath(new URL('../../../', import.meta.url))
const OPTIONAL = ['ioredis', 'prom-client', 'pino']

/** npm run by `npm test` passes its own settings down as `npm_*` variables; the temp project must not see them. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')))
}

/** Every package folder under `node_modules`, nested ones included, as `name` or `@scope/name`. */
async function installed(dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (nm: string) => {
    for (const e of await readdir(nm, { withFileTypes: true }).catch(() => [])) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue
      const names = e.name.startsWith('@') ? (await readdir(join(nm, e.name))).map((n) => `${e.name}/${n}`) : [e.name]
      for (const n of names) {
        out.push(n)
        await walk(join(nm, n, 'node_modules'))
      }
    }
  }
  await walk(join(dir, 'node_modules'))
  return out
}

/** Runs in the temp project: a creation with part of the body, then the append that completes it, both ways. */
const SCRIPT = `
import { mkdtemp } from 'node:fs/promises'
import { join } from 'node:path'
import { createFetchHandler, startServer } from '@rufh/server'

const V6 = { 'upload-draft-interop-version': '6' }
async function upload(fetchFn, target) {
  const c = await fetchFn(new Request(target, { method: 'POST', headers: { ...V6, 'upload-complete': '?0' }, body: 'hel' }))
  const location = new URL(c.headers.get('location'), target).href
  const a = await fetchFn(new Request(location, {
    method: 'PATCH',
    headers: { ...V6, 'upload-offset': '3', 'upload-complete': '?1', 'content-type': 'application/partial-upload' },
    body: 'lo',
  }))
  const h = await fetchFn(new Request(location, { method: 'HEAD', headers: V6 }))
  return { created: c.status, appended: a.status, offset: h.headers.get('upload-offset'), complete: h.headers.get('upload-complete') }
}
// Upload folders inside the project, removed with it.
const dir = (name) => mkdtemp(join(process.cwd(), 'uploads-' + name + '-'))
const handler = createFetchHandler({ directory: await dir('fetch') })
const viaFetchHandler = await upload(handler, 'http://uploads.example/files/')
await handler.core.close()
const server = await startServer({ host: '127.0.0.1', port: 0, directory: await dir('listen') })
const viaStartServer = await upload(fetch, server.url)
await server.close()
let prometheus
try {
  await import('@rufh/server/prometheus')
  prometheus = 'loaded'
} catch (e) {
  prometheus = e.code
}
process.stdout.write(JSON.stringify({ viaFetchHandler, viaStartServer, prometheus }))
`

describe('@rufh/server core installed from its tarball alone', { timeout: 180_000 }, () => {
  let root: string
  let app: string
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'rufh-core-install-'))
    app = join(root, 'app')
    await mkdir(app)
  })
  after(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('installs without ioredis, prom-client or pino and uploads through createFetchHandler and startServer', async () => {
    const env = cleanEnv()
    const packed = await run(
      'npm',
      ['pack', join(PACKAGES, 'protocol'), join(PACKAGES, 'server'), '--pack-destination', root, '--json'],
      { cwd: root, env, timeout: 60_000 },
    )
    const files = (JSON.parse(packed.stdout) as { filename: string }[]).map((p) => p.filename)
    assert.deepEqual(files, ['rufh-protocol-0.1.0.tgz', 'rufh-server-0.1.0.tgz'])
    const [protocolTgz, serverTgz] = files
    await writeFile(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'core-only',
        private: true,
        type: 'module',
        dependencies: { '@rufh/protocol': `file:../${protocolTgz}`, '@rufh/server': `file:../${serverTgz}` },
      }),
    )
    // The npm cache is warm (the repo's own install): offline-first keeps this to a second or two.
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, env, timeout: 120_000 })
    const names = await installed(app)
    assert.ok(names.includes('@rufh/server') && names.includes('@rufh/protocol'), names.join(' '))
    for (const name of OPTIONAL) assert.ok(!names.includes(name), `${name} was installed: ${names.join(' ')}`)

    await writeFile(join(app, 'run.mjs'), SCRIPT)
    const out = await run(process.execPath, ['run.mjs'], { cwd: app, env, timeout: 30_000 })
    const result = JSON.parse(out.stdout) as Record<string, unknown>
    const done = { created: 201, appended: 201, offset: '5', complete: '?1' }
    assert.deepEqual(result, {
      viaFetchHandler: done,
      viaStartServer: done,
      // The Prometheus subpath needs its optional peer: without it, importing it fails, and nothing else does.
      prometheus: 'ERR_MODULE_NOT_FOUND',
    })
  })
})
