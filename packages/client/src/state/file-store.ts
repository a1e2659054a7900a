/**
 * Unfinished uploads as one small JSON file each in a directory (Node), and in `versions/` the version `auto` found
 * per endpoint. File names are the SHA-256 of the key, writes go through a temporary file and a rename, so a crash
 * never leaves a half-written record.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { KnownVersion, StateStore, StoredUpload } from '../core/types.js'
import { parseKnownVersion, parseStored } from './parse.js'

export class FileStore implements StateStore {
  constructor(readonly dir: string) {}

  private path(key: string): string {
    return join(this.dir, `${createHash('sha256').update(key).digest('hex')}.json`)
  }

  async get(key: string): Promise<StoredUpload | undefined> {
    try {
      return parseStored(await readFile(this.path(key), 'utf8'))
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw e
    }
  }

  async set(key: string, value: StoredUpload): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    const file = this.path(key)
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
    await writeFile(tmp, `${JSON.stringify({ key, ...value })}\n`)
    await rename(tmp, file)
  }

  async remove(key: string): Promise<void> {
    await rm(this.path(key), { force: true })
  }

  /** Versions live in `versions/`, one file per endpoint, apart from the upload records `list()` reads. */
  private versionPath(endpoint: string): string {
    return join(this.dir, 'versions', `${createHash('sha256').update(endpoint).digest('hex')}.json`)
  }

  async getVersion(endpoint: string): Promise<KnownVersion | undefined> {
    try {
      return parseKnownVersion(await readFile(this.versionPath(endpoint), 'utf8'))
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw e
    }
  }

  async setVersion(endpoint: string, value: KnownVersion | undefined): Promise<void> {
    const file = this.versionPath(endpoint)
    if (!value) return rm(file, { force: true })
    await mkdir(join(this.dir, 'versions'), { recursive: true })
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
    await writeFile(tmp, `${JSON.stringify({ endpoint, ...value })}\n`)
    await rename(tmp, file)
  }

  /** Every record in the directory (for listing what can be resumed). */
  async list(): Promise<(StoredUpload & { key: string })[]> {
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch {
      return []
    }
    const out: (StoredUpload & { key: string })[] = []
    for (const n of names.filter((f) => f.endsWith('.json'))) {
      const text = await readFile(join(this.dir, n), 'utf8').catch(() => '')
      const rec = parseStored(text)
      const key = (JSON.parse(text || '{}') as { key?: unknown }).key
      if (rec && typeof key === 'string') out.push({ ...rec, key })
    }
    return out
  }
}
