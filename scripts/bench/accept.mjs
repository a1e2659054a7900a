/**
 * Bench suite `accept` (issue 17): 3,000 connections opening within one second, each sending a tus creation `POST`
 * and keeping its connection open, against `rufh serve` with Node's default backlog (`--backlog 511`), with its own
 * default (4096, capped by net.core.somaxconn) and against the node:http floor (Node's 511). Counts the connection
 * attempts the kernel dropped (TcpExt ListenOverflows and ListenDrops in /proc/net/netstat: machine-wide counters,
 * so other programs' drops would show too) and how long connecting and the creation took: a dropped SYN is
 * retried by the client's kernel after 1 s, then 3 s, so a connect time above 1 s is a dropped attempt.
 */
import { mkdir, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { median, startServer, tcpExt } from './lib.mjs'

export const title = 'Accept: 3,000 connections opening within one second'

const CONNECTIONS = 3000
const WITHIN_MS = 1000

const TARGETS = [
  { key: 'rufh-511', name: '`rufh serve --backlog 511` (Node’s default)', backlog: '511' },
  { key: 'rufh', name: '`rufh serve` (default backlog 4096)' },
  { key: 'floor', name: 'node:http floor (Node’s default 511)' },
]

/** Opens the connections evenly over WITHIN_MS; each POSTs a creation and waits for the response head. */
async function burst(url) {
  const u = new URL(url)
  const sockets = []
  const connectMs = []
  const answerMs = []
  let failed = 0
  const t0 = performance.now()
  const request =
    `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nTus-Resumable: 1.0.0\r\nUpload-Length: 1\r\n` +
    'Content-Length: 0\r\n\r\n'
  const one = (i) =>
    new Promise((resolve) => {
      setTimeout(
        () => {
          const start = performance.now()
          const s = connect(Number(u.port), u.hostname)
          sockets.push(s)
          s.once('connect', () => {
            connectMs.push(performance.now() - start)
            s.write(request)
          })
          s.once('data', (d) => {
            if (!/^HTTP\/1\.1 201/.test(d.toString('latin1'))) failed++
            answerMs.push(performance.now() - start)
            resolve()
          })
          s.once('error', () => {
            failed++
            resolve()
          })
        },
        (i * WITHIN_MS) / CONNECTIONS,
      )
    })
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => one(i)))
  const wallMs = performance.now() - t0
  for (const s of sockets) s.destroy()
  return { connectMs, answerMs, failed, wallMs }
}

/** @param {{ root: string, tmp: string, runs: number, log: (s: string) => void }} ctx */
export async function run(ctx) {
  const { root, tmp, log } = ctx
  const runs = Math.min(ctx.runs, 3)
  const res = Object.fromEntries(TARGETS.map((t) => [t.key, []]))
  for (let i = 0; i < runs; i++) {
    for (const t of i % 2 ? [...TARGETS].reverse() : TARGETS) {
      const dir = join(tmp, `accept-${t.key}`)
      await mkdir(dir, { recursive: true })
      const args =
        t.key === 'floor'
          ? [join(root, 'scripts/bench/tus-floor-server.mjs'), dir]
          : [
              join(root, 'packages/cli/dist/bin.js'),
              'serve',
              '--port',
              '0',
              '--dir',
              dir,
              '--log-level',
              'warn',
              '--max-connections-per-address',
              '100000',
              ...(t.backlog ? ['--backlog', t.backlog] : []),
            ]
      const server = await startServer(args, t.key === 'floor' ? /^floor serving (\S+)/m : /^rufh serving (\S+)/m)
      try {
        const before = tcpExt()
        const b = await burst(server.url)
        const after = tcpExt()
        const m = {
          overflows: after.ListenOverflows - before.ListenOverflows,
          drops: after.ListenDrops - before.ListenDrops,
          retried: b.connectMs.filter((ms) => ms >= 900).length,
          maxConnect: Math.max(...b.connectMs),
          p50Answer: median(b.answerMs),
          maxAnswer: Math.max(...b.answerMs),
          failed: b.failed,
          wallMs: b.wallMs,
        }
        res[t.key].push(m)
        log(
          `${t.key.padEnd(9)} run ${i + 1}: ListenOverflows +${m.overflows}, ListenDrops +${m.drops}, ` +
            `connects ≥ 0.9 s: ${m.retried}, max connect ${m.maxConnect.toFixed(0)} ms, creation p50 ` +
            `${m.p50Answer.toFixed(0)} / max ${m.maxAnswer.toFixed(0)} ms, failed ${m.failed}, all answered in ${(m.wallMs / 1000).toFixed(2)} s`,
        )
      } finally {
        await server.stop()
        await rm(dir, { recursive: true, force: true })
      }
    }
  }
  const rows = [
    [
      'server',
      'ListenOverflows (per run)',
      'connects ≥ 0.9 s (SYN retried)',
      'max connect ms',
      'creation p50 / max ms',
      'all answered in s',
      'failed',
    ],
  ]
  for (const t of TARGETS) {
    const ms = res[t.key]
    rows.push([
      t.name,
      ms.map((m) => m.overflows).join(', '),
      ms.map((m) => m.retried).join(', '),
      ms.map((m) => m.maxConnect.toFixed(0)).join(', '),
      ms.map((m) => `${m.p50Answer.toFixed(0)} / ${m.maxAnswer.toFixed(0)}`).join(', '),
      ms.map((m) => (m.wallMs / 1000).toFixed(2)).join(', '),
      ms.map((m) => String(m.failed)).join(', '),
    ])
  }
  const notes = [
    `${runs} runs, alternating; each run: a fresh server, ${CONNECTIONS} TCP connections from one Node process, started evenly over ${WITHIN_MS} ms; each sends one tus creation \`POST\` (\`Upload-Length: 1\`) and stays open until every creation was answered.`,
    `Target: no connection attempt dropped with 3,000 connections in one second (ListenOverflows +0, no connect ≥ 0.9 s) with \`rufh serve\`'s default.`,
  ]
  return { rows, notes }
}
