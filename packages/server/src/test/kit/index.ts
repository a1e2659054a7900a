/** Test helpers (not shipped): a server on a temporary folder, and requests that record every 1xx response. */

import { mkdtemp, rm } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ListenOptions, type RunningServer, startServer } from '../../adapters/listen.js'

export interface Interim {
  status: number
  headers: Record<string, string | string[] | undefined>
  at: number
}

export interface Result {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  interim: Interim[]
}

export interface TestServer extends RunningServer {
  dir: string
}

export async function startTestServer(options: ListenOptions = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'rufh-test-'))
  const s = await startServer({ port: 0, directory: dir, progressIntervalMs: 0, ...options })
  return {
    ...s,
    dir,
    close: async (grace?: number) => {
      await s.close(grace ?? 1000)
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export interface RequestOptions {
  method?: string
  headers?: Record<string, string | number>
  body?: string | Buffer
  /**
   * Send only this many bytes of the body, then destroy the connection as soon as `cutWhen` holds for the 1xx
   * responses received so far (default: one has arrived). On the event, never on a timer: on a loaded machine a timer
   * cuts before the 104 with the upload URL arrives.
   */
  cutAfter?: number
  cutWhen?: (interim: Interim[]) => boolean
}

/** `cutWhen`: a progress 104 says the server stored at least `offset` bytes (interop 5 on). */
export const storedAtLeast =
  (offset: number) =>
  (interim: Interim[]): boolean =>
    interim.some((i) => Number(i.headers['upload-offset']) >= offset)

/** How long `send` waits for `cutWhen` before failing the test (a server that never answers must not hang it). */
const CUT_WAIT_MS = 15_000

/** One request over a fresh connection; resolves with the final response, or with `status: 0` when it was cut. */
export function send(url: string, o: RequestOptions = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const interim: Interim[] = []
    const t0 = Date.now()
    let timer: NodeJS.Timeout | undefined
    const req = httpRequest(url, { method: o.method ?? 'GET', headers: o.headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        clearTimeout(timer)
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), interim })
      })
      res.on('error', reject)
    })
    let onInterim = (): void => {}
    req.on('information', (i) => {
      interim.push({ status: i.statusCode, headers: i.headers, at: Date.now() - t0 })
      onInterim()
    })
    if (o.cutAfter !== undefined) {
      const when = o.cutWhen ?? ((xs: Interim[]) => xs.length > 0)
      const cut = (): void => {
        clearTimeout(timer)
        req.destroy()
        resolve({ status: 0, headers: {}, body: '', interim })
      }
      timer = setTimeout(() => {
        req.destroy()
        reject(new Error(`send: the cut condition did not hold within ${CUT_WAIT_MS} ms (${interim.length} 1xx seen)`))
      }, CUT_WAIT_MS)
      req.on('error', () => {
        clearTimeout(timer)
        resolve({ status: 0, headers: {}, body: '', interim })
      })
      const body = Buffer.from(o.body ?? '')
      req.flushHeaders()
      req.write(body.subarray(0, o.cutAfter), () => {
        if (when(interim)) cut()
        else
          onInterim = () => {
            if (when(interim)) cut()
          }
      })
      return
    }
    req.on('error', reject)
    req.end(o.body)
  })
}

/** Header fields of each interop version's completeness field. */
export function completeness(interop: number, complete: boolean): Record<string, string> {
  if (interop === 3) return { 'upload-incomplete': complete ? '?0' : '?1' }
  return { 'upload-complete': complete ? '?1' : '?0' }
}

export function appendHeaders(interop: number, offset: number, complete: boolean): Record<string, string> {
  return {
    'upload-draft-interop-version': String(interop),
    'upload-offset': String(offset),
    ...completeness(interop, complete),
    ...(interop >= 6 ? { 'content-type': 'application/partial-upload' } : {}),
  }
}

export const VERSIONS = [3, 4, 5, 6, 7, 8, 9, 10] as const

export function header(
  r: { headers: Record<string, string | string[] | undefined> },
  name: string,
): string | undefined {
  const v = r.headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}
