/**
 * What the gateway keeps next to each upload: the creation's request head (written before the upload exists, so a
 * crash can never leave an upload without it) and, once delivered, the backend's response (so that a client that
 * lost it can get it again). One JSON file each, replaced atomically (temporary file, then rename), in a folder
 * that several gateway processes may share.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isUploadId } from '@rufh/server'
import type { HeaderMap, RequestHead } from './head.js'

export interface BackendResponse {
  status: number
  headers: HeaderMap
  body: Buffer
}

export interface Journal {
  saveHead(id: string, head: RequestHead): Promise<void>
  head(id: string): Promise<RequestHead | undefined>
  saveResponse(id: string, response: BackendResponse): Promise<void>
  response(id: string): Promise<BackendResponse | undefined>
  remove(id: string): Promise<void>
}

export class DiskJournal implements Journal {
  private ready: Promise<unknown> | undefined

  constructor(readonly directory: string) {}

  private path(id: string, kind: 'head' | 'response'): string {
    if (!isUploadId(id)) throw new RangeError(`not an upload id: ${id}`)
    return join(this.directory, `${id}.${kind}.json`)
  }

  private async write(path: string, value: unknown): Promise<void> {
    this.ready ??= mkdir(this.directory, { recursive: true })
    await this.ready
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
    await writeFile(tmp, JSON.stringify(value))
    await rename(tmp, path)
  }

  private async read<T>(path: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as T
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw e
    }
  }

  saveHead(id: string, head: RequestHead): Promise<void> {
    return this.write(this.path(id, 'head'), head)
  }

  head(id: string): Promise<RequestHead | undefined> {
    return this.read<RequestHead>(this.path(id, 'head'))
  }

  saveResponse(id: string, r: BackendResponse): Promise<void> {
    return this.write(this.path(id, 'response'), {
      status: r.status,
      headers: r.headers,
      body: r.body.toString('base64'),
    })
  }

  async response(id: string): Promise<BackendResponse | undefined> {
    const r = await this.read<{ status: number; headers: HeaderMap; body: string }>(this.path(id, 'response'))
    return r && { status: r.status, headers: r.headers, body: Buffer.from(r.body, 'base64') }
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id, 'head'), { force: true })
    await rm(this.path(id, 'response'), { force: true })
  }
}
