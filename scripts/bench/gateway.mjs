/**
 * Suite `gateway`: one upload in one request sent directly to a plain node:http backend, and the same upload through
 * a bare node:http proxy (the floor: what any proxy hop costs) and through
 * `rufh gateway` in stream mode and in spool mode (upload time + forward time), each in its own process on 127.0.0.1.
 * Same client, alternating runs, medians; the gateway's RSS is sampled every 50 ms.
 */
import { createReadStream } from 'node:fs'
import { readdir, rm, stat } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { cpuOf, formatSize, MiB, median, memoryOf, sampleRss, startServer } from './lib.mjs'

export const title = 'Gateway: one upload through `rufh gateway` (stream, spool) vs directly to the backend'

export const description =
  'One upload, whole body in one request (node:http streaming a random file from disk with Content-Length, new ' +
  'connection per upload), to `scripts/bench/plain-backend.mjs` (node:http, hashes the body, answers its sha256) ' +
  'directly, through a bare node:http proxy (the floor), and through `rufh gateway --mode stream` and `--mode spool` in front of it (a `POST /bench` creation ' +
  "with `Upload-Draft-Interop-Version: 6`, `Upload-Complete: ?1`). Every answer's sha256 is checked. For spool, " +
  '"upload" ends when the last body byte is written and "forward" is the rest, until the relayed backend answer ' +
  'has arrived.'

const MIN_STREAM_RATIO = 0.8
const MAX_GROWTH = 64 * MiB
const mib = (b) => (b / MiB).toFixed(0)

/** Streams `file` as the body; returns when the final response has been read, with the time the body was sent. */
async function send(url, file, headers) {
  const bytes = (await stat(file)).size
  const t0 = process.hrtime.bigint()
  const req = request(url, { method: 'POST', agent: false, headers: { ...headers, 'content-length': String(bytes) } })
  const response = new Promise((resolve, reject) => {
    req.once('response', resolve)
    req.once('error', reject)
  })
  let sentAt
  // A backend that answers and closes as soon as it has read the last byte can close the connection before the
  // request's 'finish': a premature close then, with the whole answer read, is a body that was sent.
  let failed
  const sent = pipeline(createReadStream(file), req).then(
    () => {
      sentAt = process.hrtime.bigint()
    },
    (e) => {
      failed = e
    },
  )
  const res = await response
  let body = ''
  res.setEncoding('utf8')
  for await (const s of res) body += s
  const end = process.hrtime.bigint()
  await sent
  if (failed && !(res.complete && failed.code === 'ERR_STREAM_PREMATURE_CLOSE')) throw failed
  sentAt ??= end
  return { status: res.statusCode, body, seconds: Number(end - t0) / 1e9, sentSeconds: Number(sentAt - t0) / 1e9 }
}

export async function run(ctx) {
  const { root, tmp, runs, size, log } = ctx
  const source = await ctx.randomFile(size)
  const procs = []
  try {
    const backend = await startServer([join(root, 'scripts/bench/plain-backend.mjs')], /^backend serving (\S+)/m)
    procs.push(backend)
    const gateway = async (mode) => {
      const dir = join(tmp, `gateway-${mode}`)
      const args = ['gateway', '--backend', backend.url, '--mode', mode, '--port', '0', '--dir', dir]
      const p = await startServer(
        [join(root, 'packages/cli/dist/bin.js'), ...args, '--log-level', 'warn'],
        /^rufh gateway (\S+) ->/m,
      )
      procs.push(p)
      return { ...p, dir }
    }
    const floor = await startServer(
      [join(root, 'scripts/bench/floor-proxy.mjs'), backend.url],
      /^floor proxy serving (\S+)/m,
    )
    procs.push(floor)
    const draft = { 'upload-draft-interop-version': '6', 'upload-complete': '?1' }
    const targets = [
      { name: 'direct to the backend', server: backend, headers: {} },
      { name: 'bare node:http proxy (floor)', server: floor, headers: {}, floor: true },
      { name: '`rufh gateway --mode stream`', server: await gateway('stream'), headers: draft },
      { name: '`rufh gateway --mode spool`', server: await gateway('spool'), headers: draft, spool: true },
    ]
    const once = async (t, label) => {
      const sampler = t.server === backend ? undefined : sampleRss(t.server.pid)
      // CPU seconds per upload: what each process spent, which a loaded machine's wall time does not show.
      const cpu0 = [cpuOf(t.server.pid).total, cpuOf(backend.pid).total]
      let r
      try {
        r = await send(`${t.server.url}/bench`, source.path, t.headers)
      } finally {
        t.mem = sampler?.stop()
      }
      const gatewayCpu = t.server === backend ? undefined : cpuOf(t.server.pid).total - cpu0[0]
      const backendCpu = cpuOf(backend.pid).total - cpu0[1]
      if (r.status !== 201) throw new Error(`${t.name}: HTTP ${r.status} ${r.body}`)
      const answer = JSON.parse(r.body)
      if (answer.sha256 !== source.sha256 || answer.size !== size)
        throw new Error(`${t.name}: the backend got other bytes`)
      // Spool keeps delivered uploads: remove them so the disk does not fill up.
      if (t.spool)
        for (const sub of ['uploads', 'journal'])
          for (const name of await readdir(join(t.server.dir, sub)))
            await rm(join(t.server.dir, sub, name), { force: true })
      const growth = t.mem ? (t.mem.reset ? Math.max(t.mem.peak, t.mem.hwm) : t.mem.peak) - t.mem.before : undefined
      const forward = t.spool ? r.seconds - r.sentSeconds : undefined
      log(
        `${label.padEnd(8)} ${t.name.padEnd(30)} ${r.seconds.toFixed(3)} s ${(size / 1e6 / r.seconds).toFixed(1).padStart(7)} MB/s` +
          (forward !== undefined ? ` (upload ${r.sentSeconds.toFixed(3)} s + forward ${forward.toFixed(3)} s)` : '') +
          (growth !== undefined ? `  RSS growth ${mib(growth)} MiB` : ''),
      )
      const mbps = size / 1e6 / r.seconds
      return { seconds: r.seconds, upload: r.sentSeconds, forward, mbps, growth, gatewayCpu, backendCpu }
    }
    // Idle RSS of each gateway before its first upload: the warm-up's growth is partly Node's first-use cost.
    for (const t of targets) if (t.server !== backend) t.idle = memoryOf(t.server.pid).rss
    for (const t of targets) t.first = await once(t, 'warm-up')
    for (const t of targets) t.runs = []
    for (let i = 0; i < runs; i++) for (const t of targets) t.runs.push(await once(t, `run ${i + 1}`))

    const base = median(targets[0].runs.map((r) => r.mbps))
    const floorBase = median(targets[1].runs.map((r) => r.mbps))
    const rows = [
      [
        'path',
        'median s',
        'median MB/s',
        '× direct',
        '× floor proxy',
        'spool: upload + forward (s)',
        'proxy RSS growth max (MiB)',
        'proxy idle RSS; growth warm-up; growth per run (MiB)',
        'median CPU s: proxy / backend',
      ],
    ]
    for (const t of targets) {
      const growth = t.runs.map((r) => r.growth).filter((g) => g !== undefined)
      rows.push([
        t.name,
        median(t.runs.map((r) => r.seconds)).toFixed(3),
        median(t.runs.map((r) => r.mbps)).toFixed(1),
        (median(t.runs.map((r) => r.mbps)) / base).toFixed(3),
        t.server === backend ? '' : (median(t.runs.map((r) => r.mbps)) / floorBase).toFixed(3),
        t.spool
          ? `${median(t.runs.map((r) => r.upload)).toFixed(3)} + ${median(t.runs.map((r) => r.forward)).toFixed(3)}`
          : '',
        growth.length ? mib(Math.max(...growth, t.first.growth ?? 0)) : '',
        t.idle !== undefined ? `${mib(t.idle)}; ${mib(t.first.growth)}; ${growth.map(mib).join(', ')}` : '',
        `${t.idle !== undefined ? median(t.runs.map((r) => r.gatewayCpu)).toFixed(2) : '–'} / ${median(t.runs.map((r) => r.backendCpu)).toFixed(2)}`,
      ])
    }
    const stream = targets[2]
    const ratio = median(stream.runs.map((r) => r.mbps)) / base
    const floorRatio = floorBase / base
    const maxGrowth = Math.max(...targets.slice(2).flatMap((t) => [t.first.growth, ...t.runs.map((r) => r.growth)]))
    const verdict = (ok) => (ok ? 'met' : '**not met**')
    const notes = [
      `${runs} timed runs per path of ${formatSize(size)} each, alternating direct, floor proxy, stream, spool, ` +
        'after one untimed warm-up per path. Spool uploads are deleted after each run.',
      'Floor proxy: `scripts/bench/floor-proxy.mjs`, a bare node:http reverse proxy (body piped to the same backend, ' +
        "answer piped back, no protocol logic, the gateway's 256 KiB / 1 MiB highWaterMarks): what one proxy hop " +
        `costs when client, proxy and backend share the cores. It reaches ${floorRatio.toFixed(3)}× direct; ` +
        `"× floor proxy" is each path's throughput over the floor's.`,
      `Targets: stream ≥ ${MIN_STREAM_RATIO}× direct: ${ratio.toFixed(3)}×, ${verdict(ratio >= MIN_STREAM_RATIO)} ` +
        `(${(ratio / floorRatio).toFixed(3)}× the floor proxy); gateway RSS growth < ${mib(MAX_GROWTH)} MiB: max ` +
        `${mib(maxGrowth)} MiB, ${verdict(maxGrowth < MAX_GROWTH)}.`,
      '"Proxy" is the process between client and backend: the gateway, or the floor proxy. ' +
        'RSS growth: VmRSS of that process sampled every 50 ms during each upload (and VmHWM, reset before it), ' +
        'minus VmRSS just before it. The max covers the warm-up upload too; idle RSS is read before the warm-up.',
      'CPU s: utime + stime of the proxy and of the backend process over each upload (/proc/PID/stat, 10 ms ticks); ' +
        'the client is this process. On a loaded machine wall time depends on how the cores are shared (a proxied ' +
        'path has one process more); the CPU seconds show what each process spends.',
    ]
    return { rows, notes }
  } finally {
    await Promise.all(procs.map((p) => p.stop()))
  }
}
