/**
 * Mutants for the rules of later drafts and for superseded transfers: a server that refuses creations naming an
 * interop version it does not speak, one that refuses complete creations below min-size, one whose refusals do not
 * say `Upload-Complete: ?0`, a locker that does not lock (the superseded transfer keeps appending), and a store whose
 * removal keeps the upload (DELETE answers 204 through rufh's own handler, yet the upload stays usable).
 */
import type { Lease, Locker, Store } from '@rufh/server'
import { DiskStore } from '@rufh/server'
import { type FrontHooks, getField, setField } from './front.js'
import type { Mutant } from './index.js'

function problem(status: number, detail: string): { reply: string } {
  const body = JSON.stringify({ type: 'about:blank', title: 'Bad Request', status, detail })
  return {
    reply: `HTTP/1.1 ${status} Bad Request\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  }
}

const KNOWN = new Set(['3', '4', '5', '6', '7', '8', '9', '10'])

/** rufh before issue 12: a creation naming an unknown interop version got 400 with the supported versions. */
export const refusesUnknownVersion: FrontHooks = {
  request: (h) => {
    const iv = getField(h.headers, 'upload-draft-interop-version')
    return h.method === 'POST' && iv !== undefined && !KNOWN.has(iv) ? problem(400, 'unsupported interop version') : h
  },
}

/** Refuses every complete creation smaller than `minSize` (rufh before issue 12 refused them with 400). */
export function refusesBelowMinSize(minSize: number): FrontHooks {
  return {
    request: (h) => {
      const complete = getField(h.headers, 'upload-complete') === '?1'
      const cl = Number(getField(h.headers, 'content-length') ?? Number.NaN)
      return h.method === 'POST' && complete && cl < minSize ? problem(400, 'smaller than min-size') : h
    },
  }
}

/** Drops `Upload-Complete` from every refused creation and append. */
export const refusalsWithoutComplete: FrontHooks = {
  final: (h, req) =>
    h.status >= 400 && (req.method === 'POST' || req.method === 'PATCH')
      ? { ...h, headers: setField(h.headers, 'Upload-Complete', undefined) }
      : h,
}

/** Grants every request at once and never stops the holder: the older transfer keeps writing at its own offset. */
export class NoLocker implements Locker {
  async acquire(): Promise<Lease> {
    return { signal: new AbortController().signal, release: async () => {} }
  }
}

/** Answers removal without removing anything. */
export function keepsOnRemove(directory: string): Store {
  const store = new DiskStore({ directory })
  store.remove = async () => {}
  return store
}

const v = (...xs: number[]) => xs.map((interop) => ({ interop }))

/** `withMinSize`: limits announcing a min-size (the min-size mutant runs with them). */
export function ruleMutants(withMinSize: NonNullable<Mutant['limits']>): Mutant[] {
  const minSize = withMinSize.minSize ?? 64
  return [
    {
      name: 'no-preemption',
      breaks: 'a newer request neither waits for nor stops the older transfer, which keeps appending',
      kills: ['B-18', 'B-18b'],
      runs: v(5, 9),
      locker: () => new NoLocker(),
    },
    {
      name: 'delete-keeps-upload',
      breaks: "DELETE is answered 204 by rufh's handler but the store keeps the upload",
      kills: ['B-16', 'N6-19'],
      runs: v(3, 6, 9),
      store: keepsOnRemove,
    },
    {
      name: 'refuses-unknown-version',
      breaks: 'a creation naming an interop version it does not speak is refused (400)',
      kills: ['B-19'],
      runs: v(6, 9),
      front: refusesUnknownVersion,
    },
    {
      name: 'refuses-below-min-size',
      breaks: `a complete creation below min-size=${minSize} is refused (400)`,
      kills: ['N9-27'],
      runs: v(9, 10),
      limits: withMinSize,
      front: refusesBelowMinSize(minSize),
    },
    {
      name: 'refusals-without-complete',
      breaks: 'refused creations and appends carry no Upload-Complete',
      kills: ['N9-28', 'N9-29'],
      runs: v(9, 10),
      front: refusalsWithoutComplete,
    },
  ]
}
