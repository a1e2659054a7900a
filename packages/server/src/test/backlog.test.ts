/**
 * The listen backlog (issue 17): `startServer` asks the kernel for a queue of `backlog` pending connections (default
 * 4096, capped by net.core.somaxconn) instead of Node's 511, and `rufh serve --backlog N` passes N on. The kernel
 * reports a listening socket's backlog as its Send-Q (`ss -ltn`); a burst of connections then all get served.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { DEFAULT_BACKLOG, startServer } from '../adapters/listen.js'
import { serveChildren, spawnServe } from './kit/serve.js'

const LIMIT_MS = 30_000
const dirs: string[] = []
after(async () => {
  for (const c of serveChildren) c.kill('SIGKILL')
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'rufh-backlog-'))
  dirs.push(d)
  return d
}

/** The backlog the kernel holds for the socket listening on 127.0.0.1:port (`ss`: Send-Q of a LISTEN socket). */
function backlogOf(port: number): number {
  const out = execFileSync('ss', ['-ltnH', `sport = :${port}`])
    .toString()
    .trim()
  const fields = out.split(/\s+/)
  assert.equal(fields[0], 'LISTEN', `ss output: ${out}`)
  return Number(fields[2])
}

const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'))

test('startServer listens with a backlog of 4096 by default, and with the one asked for', {
  timeout: LIMIT_MS,
}, async () => {
  const directory = await tempDir()
  const a = await startServer({ port: 0, directory })
  const b = await startServer({ port: 0, directory, backlog: 100 })
  try {
    assert.equal(DEFAULT_BACKLOG, 4096)
    assert.equal(backlogOf(a.port), Math.min(4096, somaxconn))
    assert.equal(backlogOf(b.port), 100)
  } finally {
    await a.close()
    await b.close()
  }
})

test('rufh serve --backlog N listens with N; a burst of 1,000 connections is served', {
  timeout: LIMIT_MS,
}, async () => {
  const s = await spawnServe(await tempDir(), ['--backlog', '2000', '--max-connections-per-address', '2000'])
  const url = new URL(s.url)
  assert.equal(backlogOf(Number(url.port)), Math.min(2000, somaxconn))
  // Every connection opened at once (no pooling): each gets its OPTIONS answered.
  const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY })
  const statuses = await Promise.all(
    Array.from(
      { length: 1000 },
      () =>
        new Promise<number>((resolve, reject) => {
          const req = request(url, { method: 'OPTIONS', agent, headers: { 'tus-resumable': '1.0.0' } }, (res) => {
            res.resume()
            res.once('end', () => resolve(res.statusCode ?? 0))
          })
          req.once('error', reject)
          req.end()
        }),
    ),
  )
  agent.destroy()
  assert.equal(statuses.length, 1000)
  assert.ok(
    statuses.every((c) => c >= 200 && c < 300),
    `statuses: ${[...new Set(statuses)].join(', ')}`,
  )
  s.child.kill('SIGTERM')
  assert.equal((await s.exited).code, 0)
})
