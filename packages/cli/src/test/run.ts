/** Test kit (not shipped): the built `rufh` command in a child process. */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const BIN = fileURLToPath(new URL('../bin.js', import.meta.url))

export interface Ran {
  code: number
  stdout: string
  stderr: string
}

/** Runs `rufh ...args` to its end (killed after `timeoutMs`). */
export function rufh(args: readonly string[], timeoutMs = 15_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}
