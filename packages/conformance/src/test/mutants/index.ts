/**
 * Deliberately broken servers ("mutants"), each breaking rules of the draft or of tus 1.0.0 (`tus.ts`), and the checks
 * each must fail. The suite runs every mutant and asserts that each listed check fails against it, and that every
 * check is listed somewhere.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Codec, Limits, ProtocolCodec } from '@rufh/protocol'
import { type Locker, type Store, startServer } from '@rufh/server'
import { codecMutants } from './codecs.js'
import { type FrontHooks, getField, setField, startFront } from './front.js'
import { ruleMutants } from './rules.js'
import { storeMutants } from './stores.js'
import { tusMutants } from './tus.js'

/** The limits `rufh serve` runs with in the suite: every limit check applies. */
export const SUITE_LIMITS: Limits = { maxSize: 1 << 20, maxAppendSize: 4096, minAppendSize: 4, maxAge: 3600 }

/**
 * The suite's limits with a `min-size`, for the checks of the min-size threshold (not in SUITE_LIMITS: the tus
 * checks create uploads of a few bytes, and rufh applies min-size to tus creations declaring a length too).
 */
export const MIN_SIZE_LIMITS: Limits = { ...SUITE_LIMITS, minSize: 64 }

/** An interop version (with a draft revision where it matters), or tus 1.0.0. */
export type Run = { interop: number; draft?: string } | 'tus'

export interface Mutant {
  name: string
  breaks: string
  kills: string[]
  /** What to run the killed checks on. */
  runs: Run[]
  codecs?: () => Codec[]
  /** Replaces the server's tus 1.0.0 codec. */
  tus?: () => ProtocolCodec
  store?: (dir: string) => Store
  /** Replaces the server's locker (one transfer per upload). */
  locker?: () => Locker
  front?: FrontHooks
  /** `null`: the server runs without limits. */
  limits?: Limits | null
}

const v = (...xs: number[]) => xs.map((interop) => ({ interop }))

const isUpload = (target: string) => /^\/files\/[^/?]+/.test(target)

const ietfMutants: Mutant[] = [
  {
    name: 'forge-interop',
    breaks: 'sends 104 to requests without (or with another) Upload-Draft-Interop-Version',
    kills: ['B-01', 'B-02', 'B-17'],
    runs: v(9),
    front: {
      request: (h) => {
        const iv = getField(h.headers, 'upload-draft-interop-version')
        return iv === undefined || iv === '999'
          ? { ...h, headers: setField(h.headers, 'Upload-Draft-Interop-Version', '9') }
          : h
      },
    },
  },
  {
    name: 'no-104',
    breaks: 'sends no 104 at all',
    kills: ['X-01', 'X-02', 'X-03'],
    runs: v(6, 9),
    front: { interim: (h) => (h.status === 104 ? null : h) },
  },
  {
    name: '104-without-interop',
    breaks: '104 without Upload-Draft-Interop-Version',
    kills: ['B-03'],
    runs: v(9),
    front: { interim: (h) => ({ ...h, headers: setField(h.headers, 'Upload-Draft-Interop-Version', undefined) }) },
  },
  {
    name: 'no-location-104',
    breaks: 'announcing 104 without Location',
    kills: ['B-04', 'N9-04', 'N6-17', 'X-02', 'X-03'],
    runs: v(6, 9),
    codecs: codecMutants['no-location-104'],
  },
  {
    name: 'no-location-final',
    breaks: 'creation response without Location',
    kills: ['B-04', 'N9-03', 'N7-02', 'N6-01', 'N6-02', 'N5-02', 'N3-02'],
    runs: v(3, 5, 6, 7, 9),
    codecs: codecMutants['no-location-final'],
  },
  {
    name: 'location-differs',
    breaks: 'final Location differs from the 104 Location',
    kills: ['N9-05', 'N8-06'],
    runs: v(8, 9),
    codecs: codecMutants['location-differs'],
  },
  {
    name: 'progress-with-location',
    breaks: 'progress 104s carry Location',
    kills: ['B-05', 'N6-17'],
    runs: v(6, 9),
    codecs: codecMutants['progress-with-location'],
  },
  {
    name: 'progress-goes-down',
    breaks: 'progress 104 offsets go down',
    kills: ['B-06'],
    runs: v(9),
    codecs: codecMutants['progress-goes-down'],
  },
  {
    name: 'creation-no-complete-field',
    breaks: 'creation response without Upload-Complete / Upload-Incomplete',
    kills: ['N9-03b', 'N6-01', 'N5-02', 'N3-02'],
    runs: v(3, 5, 6, 9),
    codecs: codecMutants['creation-no-complete-field'],
  },
  {
    name: 'creation-no-limit',
    breaks: 'creation response and 104 without Upload-Limit',
    kills: ['N8-05', 'N7-02b', 'N9-04'],
    runs: v(7, 9),
    codecs: codecMutants['creation-no-limit'],
  },
  {
    name: 'creation-200-no-offset',
    breaks: 'creation answered 200 without Upload-Offset',
    kills: ['N6-01', 'N6-02', 'N5-02', 'N3-02'],
    runs: v(3, 4, 6),
    codecs: codecMutants['creation-200-no-offset'],
  },
  {
    name: 'complete-creation-says-incomplete',
    breaks: 'a completed upload is answered with Upload-Complete: ?0 (or none)',
    kills: ['B-17', 'N9-07', 'N6-02', 'N9-13'],
    runs: v(6, 9),
    codecs: codecMutants['complete-creation-says-incomplete'],
  },
  {
    name: 'retrieval-missing-fields',
    breaks: 'offset retrieval answered 200 without completeness, length and limits',
    kills: ['N9-08', 'N9-09', 'N8-04', 'N8-09', 'N7-03', 'N6-06', 'N5-01', 'N4-01', 'N3-03'],
    runs: v(3, 4, 5, 6, 7, 8, 9),
    codecs: codecMutants['retrieval-missing-fields'],
  },
  {
    name: 'head-accepts-fields',
    breaks: 'HEAD/DELETE carrying Upload-Offset/-Complete are not rejected',
    kills: ['N6-07', 'N6-08', 'N4-03', 'N3-05'],
    runs: v(3, 4, 6),
    codecs: codecMutants['head-accepts-fields'],
  },
  {
    name: 'append-no-complete-field',
    breaks: 'append responses without Upload-Complete',
    kills: ['N9-11', 'N7-04', 'N9-13', 'N9-14'],
    runs: v(7, 9),
    codecs: codecMutants['append-no-complete-field'],
  },
  {
    name: 'append-200-no-offset',
    breaks: 'appends answered 200 without Upload-Offset',
    kills: ['N6-03', 'N5-03', 'N6-04'],
    runs: v(3, 6),
    codecs: codecMutants['append-200-no-offset'],
  },
  {
    name: 'wrong-409',
    breaks: 'offset mismatch answered 400 without Upload-Offset',
    kills: ['B-09', 'N9-12', 'N9-12b', 'N8-03', 'N9-12c', 'N7-05', 'N6-05'],
    runs: [...v(6, 7, 9), { interop: 8, draft: '-09' }],
    codecs: codecMutants['wrong-409'],
  },
  {
    name: 'unknown-410',
    breaks: 'unknown upload URIs answered 410 (I3-I6 require 404)',
    kills: ['N6-10'],
    runs: v(6),
    codecs: codecMutants['unknown-410'],
  },
  {
    name: 'ignores-lengths',
    breaks: 'ignores Upload-Length and lengths fixed by completion',
    kills: ['N9-16', 'N6-13', 'N9-17', 'N9-18', 'N6-14', 'N6-12', 'N4-02', 'N8-09'],
    runs: [...v(4, 6, 8, 9), { interop: 6, draft: '-04' }],
    codecs: codecMutants['ignores-lengths'],
  },
  {
    name: 'lenient-creation',
    breaks: 'an invalid or missing completeness field still creates a resumable upload',
    kills: ['N9-24', 'N3-01'],
    runs: v(3, 9),
    codecs: codecMutants['lenient-creation'],
  },
  {
    name: 'lenient-offset',
    breaks: 'Upload-Offset: -5 is read as 5',
    kills: ['N9-25'],
    runs: v(9),
    codecs: codecMutants['lenient-offset'],
  },
  {
    name: 'no-discovery-fields',
    breaks: 'OPTIONS without Upload-Limit and Accept-Patch',
    kills: ['N9-01', 'N9-02', 'N8-01', 'N8-01b', 'N8-02', 'N7-01', 'N6-15'],
    runs: [...v(6, 7, 8, 9), { interop: 8, draft: '-09' }],
    codecs: codecMutants['no-discovery-fields'],
  },
  {
    name: 'options-looser',
    breaks: 'OPTIONS announces no limits while uploads have some',
    kills: ['N9-22'],
    runs: v(9),
    codecs: codecMutants['options-looser'],
  },
  {
    name: 'announces-unenforced-limit',
    breaks: 'announces max-append-size=64 but does not enforce it',
    kills: ['N9-20'],
    runs: v(9),
    limits: null,
    codecs: codecMutants['announces-unenforced-limit'],
  },
  {
    name: 'limits-shrink',
    breaks: 'max-size and max-append-size shrink with every response',
    kills: ['N9-21', 'N8-08b', 'N8-08', 'N7-07', 'N6-18'],
    runs: [...v(6, 7, 8, 9), { interop: 8, draft: '-09' }],
    codecs: codecMutants['limits-shrink'],
  },
  {
    name: 'wrong-expiry-key',
    breaks: 'names the lifetime key of the other era (expires/max-age)',
    kills: ['N7-09', 'N6-18'],
    runs: v(6, 7),
    codecs: codecMutants['wrong-expiry-key'],
  },
  {
    name: 'min-append-everywhere',
    breaks: 'applies min-append-size to empty creations and completing appends',
    kills: ['N9-06', 'N9-15', 'N6-16'],
    runs: v(6, 9),
    codecs: codecMutants['min-append-everywhere'],
  },
  {
    name: 'offset-goes-down',
    breaks: 'the store reports one byte less than it has',
    kills: ['B-08', 'B-10', 'B-11', 'B-12'],
    runs: v(9),
    store: storeMutants['offset-goes-down'],
  },
  {
    name: 'completes-on-interrupt',
    breaks: 'an interrupted transfer completes the upload',
    kills: ['B-13', 'X-04', 'T-27'],
    runs: [...v(9), 'tus'],
    store: storeMutants['completes-on-interrupt'],
  },
  {
    name: 'drops-partial',
    breaks: 'an interrupted transfer stores nothing',
    kills: ['B-13b', 'T-28'],
    runs: [...v(9), 'tus'],
    store: storeMutants['drops-partial'],
  },
  {
    name: 'forgets-completion',
    breaks: 'accepts appends after completion (neither completion nor the length it fixes is recorded)',
    kills: ['N9-19', 'N8-07', 'N7-08', 'N6-11', 'N8-07b', 'N5-04', 'N3-04', 'B-12'],
    runs: v(3, 5, 6, 7, 8, 9),
    store: storeMutants['forgets-completion'],
  },
  {
    name: 'no-cache-control',
    breaks: 'offset retrieval without Cache-Control: no-store',
    kills: ['B-07'],
    runs: v(9),
    front: { final: (h) => ({ ...h, headers: setField(h.headers, 'Cache-Control', undefined) }) },
  },
  {
    name: 'invalid-sf',
    breaks: 'Upload-Offset sent as a Decimal (`5.0`)',
    kills: ['B-15'],
    runs: v(9),
    front: {
      final: (h) => {
        const o = getField(h.headers, 'upload-offset')
        return o === undefined ? h : { ...h, headers: setField(h.headers, 'Upload-Offset', `${o}.0`) }
      },
    },
  },
  {
    name: 'redirects',
    breaks: 'HEAD, GET and DELETE on uploads answered 301',
    kills: ['N9-10', 'N7-03', 'N7-06'],
    runs: v(7, 9),
    front: {
      request: (h) =>
        ['HEAD', 'GET', 'DELETE'].includes(h.method) && isUpload(h.target)
          ? { reply: `HTTP/1.1 301 Moved Permanently\r\nLocation: ${h.target}\r\nContent-Length: 0\r\n\r\n` }
          : h,
    },
  },
  {
    name: 'delete-noop',
    breaks: 'DELETE answered 204 without cancelling anything',
    kills: ['B-16', 'N6-10', 'N6-19'],
    runs: v(6, 9),
    front: {
      request: (h) => (h.method === 'DELETE' ? { reply: 'HTTP/1.1 204 No Content\r\n\r\n' } : h),
    },
  },
  {
    name: 'delete-200',
    breaks: 'DELETE answered 200 (I4-I7 require 204)',
    kills: ['N6-09', 'N7-06'],
    runs: v(6, 7),
    front: {
      final: (h, req) => (req.method === 'DELETE' && h.status === 204 ? { ...h, status: 200, reason: 'OK' } : h),
    },
  },
  {
    name: 'lock-waits',
    breaks: 'new requests wait for the stale transfer instead of terminating it',
    kills: ['B-14', 'B-14b', 'N9-26'],
    runs: v(9),
    front: { serialize: true },
  },
  {
    name: 'no-100-continue',
    breaks: 'omits 100 (Continue)',
    kills: ['N9-23'],
    runs: v(9),
    front: { interim: (h) => (h.status === 100 ? null : h) },
  },
]

export const mutants: Mutant[] = [...ietfMutants, ...ruleMutants(MIN_SIZE_LIMITS), ...tusMutants]

export interface Target {
  url: string
  close(): Promise<void>
}

/** Starts `rufh serve` (with the suite's limits, or `o.limits`), or a mutant of it. */
export async function startTarget(m?: Mutant, o: { limits?: Limits } = {}): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'rufh-conformance-'))
  const limits = m?.limits === null ? undefined : (m?.limits ?? o.limits ?? SUITE_LIMITS)
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    directory: dir,
    progressIntervalMs: 20,
    expiryIntervalMs: 0,
    ...(limits ? { limits } : {}),
    ...(m?.codecs ? { codecs: m.codecs() } : {}),
    ...(m?.tus ? { tus: m.tus() } : {}),
    ...(m?.store ? { store: m.store(dir) } : {}),
    ...(m?.locker ? { locker: m.locker() } : {}),
  })
  const front = m?.front ? await startFront(server.url, m.front) : undefined
  return {
    url: front?.url ?? server.url,
    async close() {
      await front?.close()
      await server.close(100)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
