/**
 * The peers the generated tables run (the interop matrix, scripts/matrix.mjs, and the version table,
 * scripts/versions.mjs): each client as a function that uploads bytes and returns the upload's URL, the check that
 * the server's GET returns the same bytes, and the servers as child processes.
 */
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import * as tus from 'tus-js-client'
import { upload as rufhUpload } from '../../packages/client/dist/index.js'
import { startServer } from '../bench/lib.mjs'

export const root = join(dirname(fileURLToPath(import.meta.url)), '../..')

/** @rufh/client in one interop version (or `'tus'`). */
export const ours = (interop) => (endpoint, data) =>
  rufhUpload(data, { endpoint, interop, retry: false }).then((r) => r.url)

/** tus-js-client in one of its protocols (`undefined`: tus-v1). */
export const tusJs = (protocol) => (endpoint, data) =>
  new Promise((resolve, reject) => {
    const u = new tus.Upload(data, {
      endpoint,
      ...(protocol ? { protocol } : {}),
      uploadSize: data.length,
      retryDelays: [],
      metadata: { filename: 'matrix.bin' },
      onError: reject,
      onSuccess: () => resolve(u.url),
    })
    u.start()
  })

/** Debian's python3-tuspy (tus 1.0): a short script passed to /usr/bin/python3. */
export const tuspy = async (endpoint, data) => {
  const dir = await mkdtemp(join(tmpdir(), 'rufh-matrix-py-'))
  try {
    const file = join(dir, 'src.bin')
    await writeFile(file, data)
    const script = [
      'import sys',
      'from tusclient import client',
      "u = client.TusClient(sys.argv[2]).uploader(sys.argv[1], chunk_size=1048576, metadata={'filename': 'py.bin'})",
      'u.upload()',
      'print(u.url)',
    ].join('\n')
    const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', script, file, endpoint], {
      timeout: 60_000,
    })
    return stdout.trim().split('\n').pop()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The server's GET of the upload must return the uploaded bytes. */
export async function byGet(url, data) {
  const got = await fetch(url)
  const body = Buffer.from(await got.arrayBuffer())
  if (!got.ok) return { ok: false, text: `✗ upload done, GET ${got.status}` }
  return body.equals(data)
    ? { ok: true, text: '✓' }
    : { ok: false, text: `✗ bytes differ (${body.length} of ${data.length})` }
}

/** Behind `rufh gateway`: the plain backend must have received the bytes in exactly one complete request. */
export const byBackend = (backend) => async (_url, data) => {
  const digest = createHash('sha256').update(data).digest('hex')
  const got = backend.received.filter((r) => r.sha256 === digest && r.complete).length
  return got === 1
    ? { ok: true, text: '✓' }
    : { ok: false, text: `✗ the backend got ${got} complete requests with these bytes` }
}

/**
 * One upload of `size` random bytes with `run`, then `verify` (default: a GET of the upload): `{ ok, text }`, where
 * `text` is `✓` or what went wrong, shortened (`✗ ...`).
 */
export async function uploadAndVerify(run, endpoint, size, verify = byGet) {
  const data = randomBytes(size)
  try {
    let timer
    const url = await Promise.race([
      run(endpoint, data),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out after 60 s')), 60_000)
      }),
    ]).finally(() => clearTimeout(timer))
    if (!url) return { ok: false, text: '✗ no upload resource' }
    return await verify(url, data)
  } catch (e) {
    const text = String(e?.message ?? e).replace(/\s+/g, ' ')
    // tus-js-client's messages are long: keep the status it reports.
    const code = /response code: (\d+)/.exec(text)?.[1]
    const msg = code ? `creation answered ${code}` : text.replace(/https?:\/\/[^ ]+/g, 'URL').slice(0, 90)
    return { ok: false, text: `✗ ${msg.replace(/\|/g, '/')}` }
  }
}

/** `rufh serve` on a free port, uploads in `dir`, with extra options (limits). */
export function startRufhServe(dir, extra = []) {
  return startServer(
    [join(root, 'packages/cli/dist/bin.js'), 'serve', '--port', '0', '--dir', dir, '--log-level', 'warn', ...extra],
    /^rufh serving (\S+)/m,
  )
}

/** @tus/server + FileStore (root devDependencies) on a free port. */
export function startTusNodeServer(dir) {
  return startServer([join(root, 'packages/load/bench/tus-node-server.mjs'), '0', dir], /^tus serving (\S+)/m)
}

/**
 * `rufh gateway` on a free port in front of `backend` (a URL), in `mode` (spool or stream), state in `dir`, with
 * extra options (limits).
 */
export function startRufhGateway(dir, backend, mode, extra = []) {
  return startServer(
    [
      join(root, 'packages/cli/dist/bin.js'),
      'gateway',
      '--backend',
      backend,
      '--mode',
      mode,
      '--port',
      '0',
      '--dir',
      dir,
      '--log-level',
      'warn',
      ...extra,
    ],
    /^rufh gateway (\S+) ->/m,
  )
}
