/** The report as JSON: bodies become text (or base64 when binary), everything else is already plain data. */
import type { RunReport } from '../types.js'
import { looksBinary } from './exchange-text.js'

export function renderJson(report: RunReport): string {
  // Buffers have a toJSON that runs before the replacer sees the value: look at the holder's original instead.
  function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
    const original = this[key]
    if (original instanceof Uint8Array) {
      const b = Buffer.from(original)
      const s = b.toString('utf8')
      return looksBinary(s) ? { base64: b.toString('base64') } : s
    }
    return value
  }
  return `${JSON.stringify(report, replacer, 2)}\n`
}
