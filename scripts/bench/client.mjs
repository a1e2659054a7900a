/**
 * Suite `client` (issue 4): one upload of a random file from `@rufh/client` and from tus-js-client 4.3.1
 * (`protocol: 'ietf-draft-05'`) into the same `rufh serve` child process. Each upload runs in its own Node process
 * (`scripts/bench/client-upload.mjs`) whose RSS is sampled every 50 ms; clients alternate run by run; medians. One
 * more upload per client at a quarter of the size checks that the client's peak RSS does not grow with the file.
 */
import { spawn } from 'node:child_process'
import { readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { formatSize, MiB, median, sampleRss, sha256File, startServer } from './lib.mjs'

export const title = 'Client upload: `@rufh/client` vs tus-js-client (`ietf-draft-05`) into `rufh serve`'

export const description =
  'One upload of a random file from disk per run, each client in its own fresh Node process ' +
  '(`scripts/bench/client-upload.mjs CLIENT FILE URL`), into the same `rufh serve --log-level warn` process on ' +
  '127.0.0.1. `@rufh/client`: `upload(path, { endpoint })`, all defaults (`interop: "auto"` → the newest version the ' +
  'server speaks: with no version remembered for the endpoint it sends an `OPTIONS`, an empty creation `POST`, then the whole file in one `PATCH`). tus-js-client 4.3.1: ' +
  '`new Upload(fs.createReadStream(path), { endpoint, protocol: "ietf-draft-05", uploadSize })`, other options ' +
  'default (`chunkSize: Infinity`, `uploadDataDuringCreation: false`). Time is measured inside the client process, ' +
  'from the upload call to its completion (module loading excluded). Client RSS is that child process only.'

/** Target: our client at least 1.3× tus-js-client's throughput. */
const MIN_RATIO = 1.3

const CLIENTS = [
  { key: 'rufh', name: '`@rufh/client`' },
  { key: 'tus-js-client', name: 'tus-js-client 4.3.1 (`ietf-draft-05`)' },
]

/** Client processes still running: killed if the benchmark exits early. */
const children = new Set()
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

/**
 * Runs one upload in a child process and samples its RSS from just before the upload starts to just after it ends.
 * @returns {Promise<{ bytes: number, seconds: number, url: string, interop: unknown, mem: { before: number, peak: number, hwm: number, reset: boolean } }>}
 */
async function uploadInChild(script, client, file, url) {
  const child = spawn(process.execPath, [script, client, file, url], { stdio: ['pipe', 'pipe', 'pipe'] })
  children.add(child)
  let err = ''
  child.stderr.setEncoding('utf8').on('data', (s) => {
    err += s
  })
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  const failed = exited.then(({ code, signal }) => {
    throw new Error(`${client}: process exited (${code ?? signal}): ${err.trim()}`)
  })
  failed.catch(() => {})
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const nextLine = () => Promise.race([lines.next().then((r) => String(r.value)), failed])
  let sampler
  try {
    const ready = await nextLine()
    if (ready !== 'ready') throw new Error(`${client}: expected 'ready', got '${ready}'`)
    sampler = sampleRss(child.pid)
    child.stdin.write('go\n')
    const result = JSON.parse(await nextLine())
    const mem = sampler.stop()
    sampler = undefined
    child.stdin.end()
    const { code, signal } = await exited
    if (code !== 0) throw new Error(`${client}: process exited (${code ?? signal}) after the upload: ${err.trim()}`)
    return { ...result, mem }
  } finally {
    if (sampler) {
      try {
        sampler.stop()
      } catch {}
    }
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    children.delete(child)
  }
}

/** @param {{ root: string, tmp: string, runs: number, size: number, randomFile: (size: number) => Promise<{ path: string, sha256: string }>, log: (s: string) => void }} ctx */
export async function run(ctx) {
  const { root, tmp, runs, size, log } = ctx
  const quarterSize = Math.round(size / 4)
  const source = await ctx.randomFile(size)
  const quarter = await ctx.randomFile(quarterSize)
  const script = join(root, 'scripts/bench/client-upload.mjs')
  const dir = join(tmp, 'client-rufh')
  const server = await startServer(
    [join(root, 'packages/cli/dist/bin.js'), 'serve', '--port', '0', '--dir', dir, '--log-level', 'warn'],
    /^rufh serving (\S+)/m,
  )
  try {
    /** One upload: measured, RSS-sampled, verified (stored size and completion always, sha256 when asked), deleted. */
    const once = async (c, label, src, n, checkHash) => {
      const r = await uploadInChild(script, c.key, src.path, server.url)
      const file = join(dir, new URL(r.url).pathname.split('/').pop())
      const stored = (await stat(file)).size
      if (stored !== n || r.bytes !== n) throw new Error(`${c.key}: stored ${stored} B (reported ${r.bytes}) of ${n} B`)
      const info = JSON.parse(await readFile(`${file}.json`, 'utf8'))
      if (info.complete !== true) throw new Error(`${c.key}: upload not marked complete: ${JSON.stringify(info)}`)
      if (checkHash && (await sha256File(file)) !== src.sha256) throw new Error(`${c.key}: stored bytes differ`)
      await Promise.all([rm(file, { force: true }), rm(`${file}.json`, { force: true })])
      const { before, peak, hwm, reset } = r.mem
      // VmHWM counts when it was reset just before the upload: it also catches spikes between samples.
      const top = reset ? Math.max(peak, hwm) : peak
      const mbps = n / 1e6 / r.seconds
      log(
        `${label.padEnd(10)} ${c.key.padEnd(14)} ${formatSize(n).padStart(8)} ${r.seconds.toFixed(3)} s ` +
          `${mbps.toFixed(1).padStart(7)} MB/s  interop ${r.interop}  RSS ${mib(before)} → peak ${mib(peak)} ` +
          `(HWM ${mib(hwm)}) MiB${checkHash ? '  sha256 ok' : ''}`,
      )
      return { seconds: r.seconds, mbps, before, peak: top, interop: r.interop }
    }

    // One untimed warm-up per client (the server's first uploads; its stored bytes are compared by sha256).
    for (const c of CLIENTS) c.first = await once(c, 'warm-up', source, size, true)
    for (const c of CLIENTS) c.runs = []
    for (let i = 0; i < runs; i++)
      for (const c of CLIENTS) c.runs.push(await once(c, `run ${i + 1}`, source, size, false))
    for (const c of CLIENTS) c.quarter = await once(c, '1/4 size', quarter, quarterSize, false)

    const [ours, tus] = CLIENTS
    const tusMbps = median(tus.runs.map((r) => r.mbps))
    const rows = [
      [
        'client',
        'median MB/s',
        'min–max MB/s',
        'median s',
        '× tus-js-client',
        'RSS before (MiB)',
        'peak RSS median / max (MiB)',
        `peak RSS at ${formatSize(quarterSize)} (MiB)`,
        `Δ peak RSS ${formatSize(size)} − ${formatSize(quarterSize)} (MiB)`,
      ],
    ]
    for (const c of CLIENTS) {
      const mbps = c.runs.map((r) => r.mbps)
      const peaks = c.runs.map((r) => r.peak)
      rows.push([
        c.name,
        median(mbps).toFixed(1),
        `${Math.min(...mbps).toFixed(1)}–${Math.max(...mbps).toFixed(1)}`,
        median(c.runs.map((r) => r.seconds)).toFixed(3),
        (median(mbps) / tusMbps).toFixed(3),
        mib(median(c.runs.map((r) => r.before))),
        `${mib(median(peaks))} / ${mib(Math.max(...peaks))}`,
        mib(c.quarter.peak),
        signed(median(peaks) - c.quarter.peak),
      ])
    }
    const ratio = median(ours.runs.map((r) => r.mbps)) / tusMbps
    const verdict = (ok) => (ok ? 'met' : '**not met**')
    const notes = [
      `${runs} timed runs per client of ${formatSize(size)} (${(size / 1e6).toFixed(0)} MB) each, alternating ` +
        `${CLIENTS.map((c) => c.key).join(', ')}, …, after one untimed warm-up upload per client, then one upload per ` +
        `client of ${formatSize(quarterSize)}. Every upload's stored size in the server's folder is checked (and that ` +
        `\`rufh serve\` marked it complete); the warm-up uploads are also compared by sha256. Files are deleted after ` +
        `each upload.`,
      `Throughput per run (MB/s, in order): ${CLIENTS.map((c) => `${c.key} ${c.runs.map((r) => r.mbps.toFixed(0)).join(', ')}`).join('; ')}.`,
      `Interop version used: @rufh/client ${ours.first.interop} (auto: the newest \`rufh serve\` speaks); ` +
        `tus-js-client ${tus.first.interop} (\`ietf-draft-05\` sends \`Upload-Draft-Interop-Version: 6\`).`,
      'How the two send the file: @rufh/client, in a fresh process with nothing remembered, asks `OPTIONS`, creates ' +
        'empty (a guessed version gets no content, so a server that does not speak it loses nothing), then streams ' +
        'the whole file from disk in one `PATCH` (`Upload-Complete: ?1`). tus-js-client in `ietf-draft-05` ' +
        'mode creates carefully: an empty `POST` with `Upload-Complete: ?0`, then, with its default ' +
        '`chunkSize: Infinity`, one `PATCH` with the whole file (`Content-Type: application/partial-upload`, ' +
        '`Upload-Complete: ?1`). For an `fs.ReadStream` that has a `path` it ignores the stream and re-opens the file ' +
        'with `fs.createReadStream(path, { start, end })`, piped through a progress `Transform`, so it also streams ' +
        'from disk; a Readable without a path is refused unless `chunkSize` is finite (it then buffers one chunk).',
      'Client RSS: VmRSS of the client process sampled every 50 ms from just before the upload call to just after it ' +
        'completes; "before" is after module loading; peak is max(samples, VmHWM), VmHWM being reset just before ' +
        'the upload (`clear_refs`). The last column is the median peak at full size minus the peak of the single ' +
        `${formatSize(quarterSize)} upload: near zero means client memory is flat in the file size.`,
      `Target ≥ ${MIN_RATIO}× tus-js-client's throughput: ${verdict(ratio >= MIN_RATIO)} (${ratio.toFixed(3)}×).`,
    ]
    return { rows, notes }
  } finally {
    await server.stop()
  }
}

/** @param {number} bytes */
function mib(bytes) {
  return (bytes / MiB).toFixed(1)
}

/** @param {number} bytes */
function signed(bytes) {
  const s = mib(bytes)
  return bytes >= 0 ? `+${s}` : s
}
