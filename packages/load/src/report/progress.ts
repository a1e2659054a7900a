/** The live progress line: rewritten in place on a terminal, a plain line every few seconds otherwise. */
import type { Progress } from '../options.js'
import { formatBytes } from '../sizes.js'

export function formatProgress(p: Progress): string {
  return (
    `[${p.elapsedSeconds.toFixed(1)}s] ${p.completed} done, ${p.inFlight} running, ${p.failed} failed ` +
    `(${p.started} started) | ${formatBytes(p.bytesSent)} sent, ${(p.sendRate / 1e6).toFixed(1)} MB/s` +
    `${p.cuts ? ` | ${p.cuts} cuts` : ''}${p.errors ? ` | ${p.errors} errors` : ''}`
  )
}

export interface ProgressLine {
  update(p: Progress): void
  /** Clears the line (terminal) before the summary is printed. */
  end(): void
}

export function progressLine(stream: NodeJS.WriteStream, everySeconds = 5): ProgressLine {
  let last = Number.NEGATIVE_INFINITY
  let shown = false
  return {
    update(p) {
      if (stream.isTTY) {
        const line = formatProgress(p).slice(0, (stream.columns || 120) - 1)
        stream.write(`\r\x1b[2K${line}`)
        shown = true
      } else if (p.elapsedSeconds - last >= everySeconds) {
        last = p.elapsedSeconds
        stream.write(`${formatProgress(p)}\n`)
      }
    },
    end() {
      if (shown) stream.write('\r\x1b[2K')
    },
  }
}
