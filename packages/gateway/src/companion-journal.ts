/**
 * The journal kept with the upload itself, in a store that can hold small named objects next to an upload (the S3
 * store: `P I.<name>` beside the record `P I.info`). Every gateway on the store then sees the same creation heads and
 * kept backend answers, with nothing on local disk, and removing the upload removes them too. Each entry is one
 * object, replaced whole by one write (S3 is atomic per key), as the disk journal's rename is.
 */
import type { Store } from '@rufh/server'
import type { HeaderMap, RequestHead } from './head.js'
import type { BackendResponse, Journal } from './journal.js'

/** A store that keeps small objects named `name` with upload `id`, removed with it. */
export interface CompanionStore extends Store {
  putCompanion(id: string, name: string, bytes: Uint8Array): Promise<void>
  /** The object's bytes, or undefined when there is none. */
  getCompanion(id: string, name: string): Promise<Buffer | undefined>
  removeCompanion(id: string, name: string): Promise<void>
}

export function hasCompanions(store: Store): store is CompanionStore {
  const s = store as Partial<CompanionStore>
  return (
    typeof s.putCompanion === 'function' &&
    typeof s.getCompanion === 'function' &&
    typeof s.removeCompanion === 'function'
  )
}

const HEAD = 'gateway-head.json'
const RESPONSE = 'gateway-response.json'

export class CompanionJournal implements Journal {
  constructor(private readonly store: CompanionStore) {}

  private async read<T>(id: string, name: string): Promise<T | undefined> {
    const bytes = await this.store.getCompanion(id, name)
    return bytes && (JSON.parse(bytes.toString('utf8')) as T)
  }

  saveHead(id: string, head: RequestHead): Promise<void> {
    return this.store.putCompanion(id, HEAD, Buffer.from(JSON.stringify(head)))
  }

  head(id: string): Promise<RequestHead | undefined> {
    return this.read<RequestHead>(id, HEAD)
  }

  saveResponse(id: string, r: BackendResponse): Promise<void> {
    const json = JSON.stringify({ status: r.status, headers: r.headers, body: r.body.toString('base64') })
    return this.store.putCompanion(id, RESPONSE, Buffer.from(json))
  }

  async response(id: string): Promise<BackendResponse | undefined> {
    const r = await this.read<{ status: number; headers: HeaderMap; body: string }>(id, RESPONSE)
    return r && { status: r.status, headers: r.headers, body: Buffer.from(r.body, 'base64') }
  }

  async remove(id: string): Promise<void> {
    await this.store.removeCompanion(id, HEAD)
    await this.store.removeCompanion(id, RESPONSE)
  }
}
