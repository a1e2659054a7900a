/** The report as JSON: bodies become text (or base64 when binary), everything else is already plain data. */
import type { RunReport } from '../types.js'

export function renderJson(report: RunReport): string {
  return `${JSON.stringify(
    report,
    (_k, v: unknown) => {
      if (v instanceof Uint8Array) {
        const b = Buffer.from(v)
        const s = b.toString('utf8')
        return /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(s) ? { base64: b.toString('base64') } : s
      }
      return v
    },
    2,
  )}\n`
}
