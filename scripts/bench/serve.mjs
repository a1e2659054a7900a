/**
 * Suite `serve`: one upload in one request, through `rufh serve` (draft interop 6 optimistic creation with
 * `Upload-Complete: ?1`) and through a minimal node:http server that pipes the body to a file (the baseline). Same
 * client, alternating runs, medians; the server's RSS is sampled every 50 ms.
 */
import { readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { formatSize, MiB, median, sampleRss, sha256File, startServer } from './lib.mjs'
import { upload } from './upload-client.mjs'

export const title = 'Single-request upload: `rufh serve` vs a node:http sink'

export const description =
  'One upload, whole body in one request, from the same streaming client (`scripts/bench/upload-client.mjs`: ' +
  'node:http streaming a random file from disk with Content-Length, new connection per upload) to two servers, each ' +
  'its own process on 127.0.0.1: the baseline `scripts/bench/sink-server.mjs` (node:http, `pipeline(req, ' +
  'createWriteStream(file))`) and `rufh serve --log-level warn` (a `POST /files/` optimistic creation with ' +
  '`Upload-Draft-Interop-Version: 6`, `Upload-Complete: ?1`). Time is from request start to the end of the final ' +
  'response. Both write to the page cache of the same disk (no fsync), so this measures the HTTP/Node path, not the disk.'

/** Targets: rufh at least 0.9× the baseline's throughput, and RSS growth under 64 MiB during an upload. */
const MIN_RATIO = 0.9
const MAX_GROWTH = 64 * MiB

/** @param {{ root: string, tmp: string, runs: number, size: number, randomFile: (size: number) => Promise<{ path: string, sha256: string }>, log: (s: string) => void }} ctx */
export async function run(ctx) {
  const { root, tmp, runs, size, log } = ctx
  const source = await ctx.randomFile(size)
  const servers = []
  try {
    const sinkDir = join(tmp, 'sink')
    const rufhDir = join(tmp, 'rufh')
    const sink = await startServer([join(root, 'scripts/bench/sink-server.mjs'), sinkDir], /^sink serving (\S+)/m)
    servers.push(sink)
    const rufh = await startServer(
      [join(root, 'packages/cli/dist/bin.js'), 'serve', '--port', '0', '--dir', rufhDir, '--log-level', 'warn'],
      /^rufh serving (\S+)/m,
    )
    servers.push(rufh)
    const targets = [
      {
        name: 'baseline (node:http → file)',
        server: sink,
        headers: {},
        stored: (r) => JSON.parse(r.body).file,
        remove: (file) => rm(file, { force: true }),
      },
      {
        name: '`rufh serve`',
        server: rufh,
        headers: { 'upload-draft-interop-version': '6', 'upload-complete': '?1' },
        stored: async (r) => {
          const file = join(rufhDir, new URL(String(r.headers.location)).pathname.split('/').pop())
          const info = JSON.parse(await readFile(`${file}.json`, 'utf8'))
          if (info.complete !== true) throw new Error(`rufh: upload not marked complete: ${JSON.stringify(info)}`)
          return file
        },
        remove: (file) => Promise.all([rm(file, { force: true }), rm(`${file}.json`, { force: true })]),
      },
    ]

    /** One upload: measured, memory-sampled, verified (size always, sha256 when asked), then deleted. */
    const once = async (t, label, checkHash) => {
      const sampler = sampleRss(t.server.pid)
      let r
      try {
        r = await upload(t.server.url, source.path, { headers: t.headers })
      } finally {
        t.mem = sampler.stop()
      }
      if (r.status < 200 || r.status > 299) throw new Error(`${t.name}: HTTP ${r.status} ${r.body}`)
      const file = await t.stored(r)
      const stored = (await stat(file)).size
      if (stored !== size) throw new Error(`${t.name}: stored ${stored} B of ${size} B`)
      if (checkHash && (await sha256File(file)) !== source.sha256) throw new Error(`${t.name}: stored bytes differ`)
      await t.remove(file)
      const mbps = size / 1e6 / r.seconds
      const { before, peak, hwm } = t.mem
      log(
        `${label.padEnd(8)} ${t.name.padEnd(28)} ${r.seconds.toFixed(3)} s ${mbps.toFixed(1).padStart(7)} MB/s` +
          `  RSS ${mib(before)} → peak ${mib(peak)} (HWM ${mib(hwm)}) MiB${checkHash ? '  sha256 ok' : ''}`,
      )
      // Growth counts VmHWM too when it covers only this upload: it also catches spikes between samples.
      return {
        seconds: r.seconds,
        mbps,
        before,
        peak,
        hwm,
        growth: (t.mem.reset ? Math.max(peak, hwm) : peak) - before,
      }
    }

    // The first upload to each fresh server: not timed in the results, but its RSS growth is reported (JIT, heap).
    for (const t of targets) t.first = await once(t, 'warm-up', true)
    for (const t of targets) t.runs = []
    for (let i = 0; i < runs; i++) for (const t of targets) t.runs.push(await once(t, `run ${i + 1}`, false))

    const base = median(targets[0].runs.map((r) => r.mbps))
    const rows = [
      [
        'server',
        'median MB/s',
        'min–max MB/s',
        'median s',
        '× baseline',
        'RSS before (MiB)',
        'peak RSS (MiB)',
        'VmHWM (MiB)',
        'growth median / max (MiB)',
        'growth, 1st upload (MiB)',
      ],
    ]
    for (const t of targets) {
      const mbps = t.runs.map((r) => r.mbps)
      const growth = t.runs.map((r) => r.growth)
      rows.push([
        t.name,
        median(mbps).toFixed(1),
        `${Math.min(...mbps).toFixed(1)}–${Math.max(...mbps).toFixed(1)}`,
        median(t.runs.map((r) => r.seconds)).toFixed(3),
        (median(mbps) / base).toFixed(3),
        mib(median(t.runs.map((r) => r.before))),
        mib(Math.max(...t.runs.map((r) => r.peak))),
        mib(Math.max(...t.runs.map((r) => r.hwm))),
        `${mib(median(growth))} / ${mib(Math.max(...growth))}`,
        mib(t.first.growth),
      ])
    }
    const [, rufhT] = targets
    const ratio = median(rufhT.runs.map((r) => r.mbps)) / base
    const maxGrowth = Math.max(rufhT.first.growth, ...rufhT.runs.map((r) => r.growth))
    const verdict = (ok) => (ok ? 'met' : '**not met**')
    const notes = [
      `${runs} timed runs per server of ${formatSize(size)} (${(size / 1e6).toFixed(0)} MB) each, alternating ` +
        `baseline, rufh, …, after one untimed warm-up upload per server. Every upload's stored size is checked (and that rufh marked it complete); the ` +
        `warm-up uploads are also compared by sha256. Files are deleted after each upload.`,
      `Throughput per run (MB/s, in order): ${targets.map((t) => `${t.name} ${t.runs.map((r) => r.mbps.toFixed(0)).join(', ')}`).join('; ')}.`,
      `RSS: VmRSS of the server process sampled every 50 ms during each upload; "before" is just before it starts, ` +
        `VmHWM is read at the end (reset before each upload via \`clear_refs\`, so it covers that upload only); growth is ` +
        `max(peak, VmHWM) − before.`,
      `Target throughput ≥ ${MIN_RATIO}× baseline: ${verdict(ratio >= MIN_RATIO)} (${ratio.toFixed(3)}×). ` +
        `Target RSS growth < ${mib(MAX_GROWTH)} MiB: ${verdict(maxGrowth < MAX_GROWTH)} (largest ${mib(maxGrowth)} MiB).`,
    ]
    return { rows, notes }
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
  }
}

/** @param {number} bytes */
function mib(bytes) {
  return (bytes / MiB).toFixed(1)
}
