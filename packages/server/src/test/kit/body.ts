/** A body reader (procedures/body-reader.ts) over a PassThrough the test writes to, with its stop signals. */
import type { AsyncHook } from 'node:async_hooks'
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PassThrough } from 'node:stream'
import { BodyReader, type BodyReaderOptions } from '../../procedures/body-reader.js'

export const bytes = (s: string) => new TextEncoder().encode(s)
export const text = (b: Uint8Array) => new TextDecoder().decode(b)

export function reader(body: PassThrough, options: Partial<BodyReaderOptions> = {}) {
  const preempt = new AbortController()
  const shutdown = new AbortController()
  const r = new BodyReader(body, { idleMs: 10_000, preempt: preempt.signal, shutdown: shutdown.signal, ...options })
  return { r, preempt, shutdown }
}

/**
 * Runs `each(1)` … `each(n)` with `hook` enabled, each step starting when the last called `next`: driven by callbacks,
 * not awaits, so that the test's own code makes no promise while the hook counts.
 */
export function steps(n: number, hook: AsyncHook, each: (i: number, next: () => void) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    let i = 0
    const next = () => {
      if (++i > n) {
        hook.disable()
        resolve()
        return
      }
      each(i, next)
    }
    hook.enable()
    next()
  })
}

/** Runs `fn` with a new file opened with `flags` in a folder of its own; closes it and removes the folder after. */
export async function withOpenFile(flags: string, fn: (fd: number, path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rufh-body-'))
  const path = join(dir, 'data')
  closeSync(openSync(path, 'w'))
  const fd = openSync(path, flags)
  try {
    await fn(fd, path)
  } finally {
    closeSync(fd)
    rmSync(dir, { recursive: true, force: true })
  }
}
