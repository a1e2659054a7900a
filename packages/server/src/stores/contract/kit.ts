/** Helpers shared by the contract's test groups: a fresh store per test, bodies, and reading bytes back. */
import { newUploadId } from '../../ids.js'
import type { Store, UploadInfo } from '../store.js'

export interface StoreFixture {
  store: Store
  cleanup(): Promise<void>
}

export type MakeStore = () => Promise<StoreFixture>

export const withStore = (make: MakeStore, fn: (s: Store) => Promise<void>) => async (): Promise<void> => {
  const f = await make()
  try {
    await fn(f.store)
  } finally {
    await f.cleanup()
  }
}

export const fresh = (s: Store, length?: number, metadata: Record<string, string> = { filename: 'a.txt' }) =>
  s.create({ id: newUploadId(), length, expiresAt: undefined, metadata })

export const partial = (s: Store): Promise<UploadInfo> =>
  s.create({ id: newUploadId(), length: undefined, expiresAt: undefined, metadata: {}, concat: { kind: 'partial' } })

export async function* chunks(...parts: (string | Uint8Array)[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p
}

export async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Buffer[] = []
  for await (const c of it) out.push(Buffer.from(c))
  return Buffer.concat(out)
}

/** Deterministic bytes (a simple LCG), so that a misplaced byte shows up as a mismatch. */
export function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n)
  let x = seed >>> 0
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    b[i] = x >>> 24
  }
  return b
}
