/**
 * `rufh upload FILE... URL`: resumable uploads with a progress line per file. Unfinished uploads are remembered in a
 * state directory, keyed by the target URL and the file's identity (path, size, mtime, inode), so rerunning the same
 * command after Ctrl-C or a network failure continues where the server stopped.
 */
import { homedir } from 'node:os'
import { basename, join } from 'node:path'
import {
  createUpload,
  type InteropVersion,
  NodeHttp2Transport,
  type Progress,
  type Transport,
  type Upload,
  UploadError,
  type UploadResult,
} from '@rufh/client'
import {
  parseChoice,
  parseFlags,
  parseHeader,
  parseInteger,
  parseSize,
  parseUrl,
  SIZE_RULE,
  UsageError,
  usageFailed,
} from '../args.js'

export const summary = 'upload files with resume (progress, retries, resume after Ctrl-C)'

const SYNOPSIS = 'rufh upload FILE... URL [options]'

const usage = `usage: ${SYNOPSIS}

Uploads each FILE to URL (the creation endpoint, e.g. http://127.0.0.1:1080/files/) with the resumable upload
protocol. Rerun the same command after Ctrl-C or a network failure to continue where the server stopped.
FILE may be '-' for standard input (not resumable across runs).

options:
  --interop N|tus      interop version 3-10, or tus (tus 1.0.0); default: the newest the server speaks.
                       Interop 10 is known from two third-party sources to be draft -13; nothing
                       says which interop version drafts -14 and -15 use
  --protocol P         ietf (the draft; --interop picks the version) or tus-v1 (same as --interop tus)
  --chunk-size SIZE    most bytes per request, e.g. 512k (= 524288), 8MiB (default: whole file; 8 MiB for stdin)
  --parallel N         files uploaded at the same time (default 2)
  --state DIR          where unfinished uploads are remembered (default $RUFH_STATE_DIR or
                       $XDG_STATE_HOME/rufh/uploads)
  -H, --header 'K: V'  extra request header (repeatable)
  --careful            create with an empty request first (for proxies that mishandle 104)
  --http2              use HTTP/2 (h2c prior knowledge for http://, ALPN h2 for https://)
  --retries N          consecutive failed attempts before giving up (default 10)
  -q, --quiet          no progress output
  -h, --help           this help

Without --interop the version is found by asking: empty creation requests, newest version first, until
one makes an upload resource (the answer is remembered per URL in the state directory for a day).

${SIZE_RULE}.

exit codes: 0 all uploaded; 1 an upload was refused or failed; 2 usage error;
            3 network failure, retries exhausted (rerun to resume); 130 interrupted (rerun to resume);
            4 the server answered with success but made no upload resource (not resumable; see the warning)`

export const EXIT = { ok: 0, failed: 1, usage: 2, network: 3, notResumable: 4, interrupted: 130 } as const

function human(n: number): string {
  if (n < 1024) return `${n} B`
  const u = ['KiB', 'MiB', 'GiB', 'TiB']
  let i = -1
  let v = n
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${u[i]}`
}

function duration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--:--'
  const t = Math.round(s)
  const h = Math.floor(t / 3600)
  const mm = String(Math.floor((t % 3600) / 60)).padStart(2, '0')
  const ss = String(t % 60).padStart(2, '0')
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`
}

/** One file's line: name, bar, percent, bytes, rate (moving average), ETA. */
class Line {
  sent = 0
  total: number | undefined
  state = 'waiting'
  private rate = 0
  private lastAt = 0
  private lastSent = 0

  constructor(readonly name: string) {}

  update(p: Progress, now: number): void {
    this.total = p.total
    if (this.lastAt === 0) {
      this.lastAt = now
      this.lastSent = p.sent
    } else if (now - this.lastAt >= 250) {
      const r = (Math.max(0, p.sent - this.lastSent) * 1000) / (now - this.lastAt)
      this.rate = this.rate === 0 ? r : this.rate * 0.7 + r * 0.3
      this.lastAt = now
      this.lastSent = p.sent
    } else if (this.rate === 0 && now > this.lastAt) {
      this.rate = (Math.max(0, p.sent - this.lastSent) * 1000) / (now - this.lastAt)
    }
    this.sent = p.sent
  }

  render(width: number): string {
    const name = this.name.length > 24 ? `…${this.name.slice(-23)}` : this.name.padEnd(24)
    const total = this.total
    const frac = total ? Math.min(1, this.sent / total) : 0
    const barW = Math.max(10, Math.min(30, width - 80))
    const filled = Math.round(frac * barW)
    const bar = total === undefined ? '?'.repeat(barW) : `${'#'.repeat(filled)}${'-'.repeat(barW - filled)}`
    const pct = total === undefined ? '  ?%' : `${Math.floor(frac * 100)}%`.padStart(4)
    const bytes = `${human(this.sent)}${total === undefined ? '' : ` / ${human(total)}`}`
    const eta = total !== undefined && this.rate > 0 ? duration((total - this.sent) / this.rate) : '--:--'
    const rate = `${human(Math.round(this.rate))}/s`
    const tail = this.state === 'running' ? `${rate.padStart(11)} ETA ${eta}` : this.state
    return `${name} [${bar}] ${pct} ${bytes.padEnd(21)} ${tail}`.slice(0, width - 1)
  }
}

/** Redraws all lines in place on a TTY; elsewhere prints a line per state change and every 10%. */
class Board {
  private drawn = 0
  private timer: NodeJS.Timeout | undefined
  private readonly lastPct = new Map<Line, number>()

  constructor(
    readonly lines: Line[],
    private readonly out: NodeJS.WriteStream,
    private readonly quiet: boolean,
  ) {
    if (!quiet && out.isTTY) this.timer = setInterval(() => this.draw(), 100)
  }

  /** A message above the progress lines. */
  say(msg: string): void {
    if (this.quiet) return
    if (this.out.isTTY) this.clear()
    this.out.write(`${msg}\n`)
    if (this.out.isTTY) this.draw()
  }

  changed(line: Line): void {
    if (this.quiet || this.out.isTTY) return
    const pct = line.total ? Math.floor((line.sent / line.total) * 10) : 0
    if (line.state !== 'running' || pct > (this.lastPct.get(line) ?? -1)) {
      this.lastPct.set(line, pct)
      this.out.write(`${line.render(120)}\n`)
    }
  }

  private clear(): void {
    if (this.drawn) this.out.write(`\x1b[${this.drawn}A\x1b[J`)
    this.drawn = 0
  }

  draw(): void {
    if (this.quiet || !this.out.isTTY) return
    this.clear()
    const w = this.out.columns || 100
    const shown = this.lines.filter((l) => l.state !== 'waiting')
    for (const l of shown) this.out.write(`${l.render(w)}\n`)
    this.drawn = shown.length
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.draw()
  }
}

interface Parsed {
  files: string[]
  url: string
  interop: InteropVersion | 'tus' | undefined
  chunkSize: number | undefined
  parallel: number
  stateDir: string
  headers: Record<string, string>
  careful: boolean
  http2: boolean
  retries: number | undefined
  quiet: boolean
}

/** The options, or undefined for --help; throws a UsageError when the command line is wrong. */
function parse(argv: string[]): Parsed | undefined {
  const { values, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    options: {
      interop: { type: 'string' },
      protocol: { type: 'string' },
      'chunk-size': { type: 'string' },
      parallel: { type: 'string' },
      state: { type: 'string' },
      header: { type: 'string', short: 'H', multiple: true },
      careful: { type: 'boolean' },
      http2: { type: 'boolean' },
      retries: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return undefined
  if (positionals.length < 2) throw new UsageError('expected at least one FILE and a URL')
  const url = positionals.at(-1)!
  parseUrl(url, 'the last argument (the creation URL)')
  let interop: InteropVersion | 'tus' | undefined
  const protocol =
    values.protocol === undefined ? undefined : parseChoice(values.protocol, '--protocol', ['ietf', 'tus-v1'])
  if (protocol === 'tus-v1' && values.interop !== undefined && values.interop !== 'tus')
    throw new UsageError('--protocol tus-v1 cannot be combined with an interop version')
  if (protocol === 'ietf' && values.interop === 'tus')
    throw new UsageError('--protocol ietf cannot be combined with --interop tus')
  if (protocol === 'tus-v1' || values.interop === 'tus') interop = 'tus'
  else if (values.interop !== undefined) {
    const n = Number(values.interop)
    if (!/^\d+$/.test(values.interop) || n < 3 || n > 10)
      throw new UsageError(`--interop must be 3 to 10 or tus (got '${values.interop}')`)
    interop = n as InteropVersion
  }
  const chunkSize =
    values['chunk-size'] === undefined ? undefined : parseSize(values['chunk-size'], '--chunk-size', { min: 1 })
  const parallel = values.parallel === undefined ? 2 : parseInteger(values.parallel, '--parallel', { min: 1 })
  const retries = values.retries === undefined ? undefined : parseInteger(values.retries, '--retries')
  const headers: Record<string, string> = {}
  for (const h of values.header ?? []) {
    const [name, value] = parseHeader(h, '--header')
    headers[name] = value
  }
  const stateHome = process.env['XDG_STATE_HOME'] || join(homedir(), '.local', 'state')
  return {
    files: positionals.slice(0, -1),
    url,
    interop,
    chunkSize,
    parallel,
    stateDir: values.state ?? process.env['RUFH_STATE_DIR'] ?? join(stateHome, 'rufh', 'uploads'),
    headers,
    careful: values.careful ?? false,
    http2: values.http2 ?? false,
    retries,
    quiet: values.quiet ?? false,
  }
}

function exitCodeOf(e: unknown): number {
  if (e instanceof UploadError) {
    if (e.code === 'ERR_ABORTED') return EXIT.interrupted
    if (e.code === 'ERR_RETRIES_EXHAUSTED' || e.code === 'ERR_NETWORK') return EXIT.network
  }
  return EXIT.failed
}

export async function run(argv: string[]): Promise<number> {
  let parsed: Parsed | undefined
  try {
    parsed = parse(argv)
  } catch (e) {
    return usageFailed('upload', SYNOPSIS, e)
  }
  if (!parsed) {
    process.stdout.write(`${usage}\n`)
    return EXIT.ok
  }
  const opts = parsed
  const lines = opts.files.map((f) => new Line(f === '-' ? 'stdin' : basename(f)))
  const board = new Board(lines, process.stderr, opts.quiet)
  const running = new Set<Upload>()
  const transport = opts.http2 ? new NodeHttp2Transport() : undefined
  let interrupted = false
  const onSignal = () => {
    if (interrupted) process.exit(EXIT.interrupted)
    interrupted = true
    board.say('interrupted: stopping (run the same command again to resume; Ctrl-C again to quit now)')
    for (const u of running) void u.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const results: (UploadResult | Error | undefined)[] = []
  let next = 0
  const worker = async () => {
    while (!interrupted && next < opts.files.length) {
      const i = next++
      const file = opts.files[i]!
      const line = lines[i]!
      try {
        results[i] = await uploadOne(file, opts, transport, line, board, running, () => interrupted)
        const r = results[i] as UploadResult
        line.state = !r.resumable ? 'done (not resumable)' : r.response ? 'done' : 'done (already complete)'
      } catch (e) {
        results[i] = e instanceof Error ? e : new Error(String(e))
        line.state = interrupted ? 'interrupted' : 'failed'
      }
      board.changed(line)
    }
  }
  await Promise.all(Array.from({ length: Math.min(opts.parallel, opts.files.length) }, worker))
  board.stop()
  transport?.close()
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)

  let code: number = EXIT.ok
  for (const [i, r] of results.entries()) {
    const name = opts.files[i]!
    if (r instanceof Error) {
      const c = exitCodeOf(r)
      if (c !== EXIT.interrupted) process.stderr.write(`rufh upload: ${name}: ${r.message}\n`)
      if (c === EXIT.network) process.stderr.write(`rufh upload: ${name}: run the same command again to resume\n`)
      if (code === EXIT.ok || code === EXIT.notResumable || c === EXIT.failed) code = c
    } else if (r) {
      process.stdout.write(`${name}\t${r.url ?? '(no upload resource)'}\t${r.size}\n`)
      if (!r.resumable) {
        // A 2xx without an upload resource: the server took the file as an ordinary request (it does not speak the
        // version used). Nothing can be resumed, and whether the bytes were kept is up to the target resource.
        const status = r.response ? ` ${r.response.status}` : ''
        process.stderr.write(
          `rufh upload: ${name}: warning: the server answered${status} (${r.protocol}) but made no upload resource: ` +
            'it took the file as an ordinary request, so nothing is resumable and it may not have kept the bytes\n',
        )
        if (code === EXIT.ok) code = EXIT.notResumable
      }
    }
  }
  if (interrupted) return EXIT.interrupted
  return code
}

async function uploadOne(
  file: string,
  opts: Parsed,
  transport: Transport | undefined,
  line: Line,
  board: Board,
  running: Set<Upload>,
  interrupted: () => boolean,
): Promise<UploadResult> {
  const input = file === '-' ? process.stdin : file
  const up = await createUpload(input, {
    endpoint: opts.url,
    interop: opts.interop,
    chunkSize: opts.chunkSize,
    headers: opts.headers,
    stateDir: file === '-' ? undefined : opts.stateDir,
    creation: opts.careful ? 'careful' : 'auto',
    transport,
    filename: file === '-' ? undefined : basename(file),
    retry: opts.retries === undefined ? undefined : { retries: opts.retries },
  })
  if (interrupted()) throw new UploadError('ERR_ABORTED', 'interrupted')
  running.add(up)
  line.state = 'running'
  line.total = up.source.size
  up.on('resumed', (e) => board.say(`${line.name}: resuming at ${human(e.offset)} (${e.url})`))
  up.on('progress', (p) => {
    line.update(p, Date.now())
    board.changed(line)
  })
  up.on('retry', (e) =>
    board.say(`${line.name}: ${e.error.message}; retry ${e.attempt} in ${(e.delay / 1000).toFixed(1)} s`),
  )
  try {
    return await up.start()
  } finally {
    running.delete(up)
  }
}
