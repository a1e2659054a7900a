/**
 * The storage contract. Required: create, get, append, update, remove. Optional capabilities are separate interfaces
 * recognised by type guards, never by strings, so that a store that cannot do something is a type error, not a 501.
 * A store never decides an HTTP status: it throws the protocol package's errors and codecs map them.
 *
 * Designed for object stores too: `append` takes a stream at an offset and returns how far it got; a store with
 * multipart uploads (S3: parts of at least 5 MiB, at most 10,000) may keep a short tail buffered elsewhere as long as
 * the offset it reports is durable.
 */

export interface UploadInfo {
  id: string
  /** Bytes durably stored: never more than what a crash would leave. */
  offset: number
  /** The representation's length, once declared or fixed by completion. */
  length: number | undefined
  complete: boolean
  /** Set when the upload was invalidated (e.g. data past its declared length): every further use is refused. */
  invalid: string | undefined
  /** Epoch milliseconds. */
  createdAt: number
  expiresAt: number | undefined
  /** Metadata: tus `Upload-Metadata` pairs, and `filetype`/`filename` from a draft creation's Content-Type and
   * Content-Disposition (the same keys tusd uses), so both protocols see one set. */
  metadata: Record<string, string>
  /** tus concatenation: a partial upload, or a final one made of the partial uploads at these URLs. */
  concat: Concat | undefined
  /** The principal that created the upload (authorization, auth/): by default only it may continue, read or cancel. */
  owner?: string | undefined
  /**
   * tus: the upload completes when its offset reaches its length. Kept by the store so that an upload left at its
   * length by a crash before completion was recorded is completed when it is next read (procedures/settle.ts).
   */
  completesAtLength?: boolean
  /**
   * tus checksum: the offset before a checksummed append whose digest is not verified yet. Recorded before the first
   * byte is stored and cleared once the digest matched (or the append was cut back), so that bytes a kill -9 left
   * unverified are cut back to it when the upload is next read (procedures/checksum.ts `rollBack`). Only set on
   * truncatable stores; a store keeps it through appends and updates until an update clears it.
   */
  checkpoint?: number | undefined
}

export type Concat = { kind: 'partial' } | { kind: 'final'; parts: string[] }

export interface NewUpload {
  id: string
  length: number | undefined
  expiresAt: number | undefined
  metadata: Record<string, string>
  concat?: Concat | undefined
  owner?: string | undefined
  completesAtLength?: boolean
}

/** What every store records for a new upload: its info without the offset, every field present. */
export type NewUploadMeta = Omit<UploadInfo, 'offset' | 'owner' | 'completesAtLength'> & {
  owner: string | undefined
  completesAtLength?: true
}

/**
 * The info of an upload just created from `init`, with no byte stored yet (offset aside): the one place a new upload's
 * fields are set, so every store keeps the same ones (the store contract checks owner and completesAtLength).
 */
export function newUploadMeta(init: NewUpload): NewUploadMeta {
  return {
    id: init.id,
    length: init.length,
    complete: false,
    invalid: undefined,
    createdAt: Date.now(),
    expiresAt: init.expiresAt,
    metadata: init.metadata,
    concat: init.concat,
    owner: init.owner,
    ...(init.completesAtLength ? { completesAtLength: true as const } : {}),
  }
}

/**
 * The info (offset aside) read back from what a store wrote, a field missing taking its default: the one place stored
 * fields are read, as `newUploadMeta` is the one place they are set, so stores read records of older versions alike.
 */
export function storedUploadMeta(id: string, raw: Partial<Omit<UploadInfo, 'offset'>>): NewUploadMeta {
  return {
    id,
    length: raw.length ?? undefined,
    complete: raw.complete === true,
    invalid: raw.invalid ?? undefined,
    createdAt: raw.createdAt ?? 0,
    expiresAt: raw.expiresAt ?? undefined,
    metadata: raw.metadata ?? {},
    concat: raw.concat ?? undefined,
    owner: typeof raw.owner === 'string' ? raw.owner : undefined,
    ...(raw.completesAtLength === true ? { completesAtLength: true as const } : {}),
    ...(typeof raw.checkpoint === 'number' ? { checkpoint: raw.checkpoint } : {}),
  }
}

export interface AppendOptions {
  /** Called after bytes are stored, with the new durable offset (drives progress 104s). */
  onProgress?: (offset: number) => void
  /**
   * How many bytes the body will yield if it ends normally (the request's Content-Length), when known. A hint: the
   * body may still end early or fail (a cut client). A store must then still report only bytes it holds; it may give
   * up bytes it received but never reported (the S3 store does, for a part it streamed with no copy: docs/storage.md).
   */
  bodyLength?: number | undefined
  /**
   * The upload as this store last answered for it, passed only by a caller that has held the upload's lease since then
   * (as `update`'s `known`). A store may take it instead of reading the upload again; the disk store still checks its
   * data file's size (that check is what catches a record that disagrees with its data).
   */
  known?: UploadInfo | undefined
  /**
   * Each chunk the body yields is the store's alone once yielded: a buffer of its own that nothing else refers to
   * (`UploadRequest.bodyChunksOwned`). A store may then free a chunk's memory once it has stored it (release.ts).
   */
  release?: boolean | undefined
}

export type UploadPatch = Partial<Pick<UploadInfo, 'length' | 'complete' | 'invalid' | 'checkpoint'>>

export interface Store {
  create(init: NewUpload): Promise<UploadInfo>
  /** Throws `UploadNotFoundError` when there is no such upload. */
  get(id: string): Promise<UploadInfo>
  /**
   * Writes the stream at `offset` (which must be the upload's offset, else `OffsetMismatchError`) until it ends, and
   * returns the new offset. Everything the stream yielded is stored, even when the caller stops early.
   */
  append(id: string, offset: number, body: AsyncIterable<Uint8Array>, options?: AppendOptions): Promise<number>
  /**
   * `known`: the upload as this store last answered for it (`get`, `append`'s offset, `update`), passed only by a
   * caller that has held the upload's lease since then and still holds it, so no request on any process can have
   * changed it. A store may take it instead of reading the upload again (the disk store then writes only the info).
   */
  update(id: string, patch: UploadPatch, known?: UploadInfo): Promise<UploadInfo>
  remove(id: string): Promise<void>
}

/** Stores that can enumerate their uploads, so that expired ones can be removed. */
export interface ListableStore extends Store {
  list(): AsyncIterable<UploadInfo>
}

/** Stores that can read back stored bytes (downloads, verification). `end` is exclusive. */
export interface ReadableStore extends Store {
  read(id: string, start?: number, end?: number): AsyncIterable<Uint8Array>
}

/** Stores that can cut an upload back to an earlier offset (tus checksums: a mismatching append stores nothing). */
export interface TruncatableStore extends Store {
  truncate(id: string, offset: number): Promise<void>
}

/** Stores that can make a new, complete upload from complete earlier ones, in order (tus concatenation). */
export interface ConcatenatingStore extends Store {
  concatenate(init: NewUpload, partIds: readonly string[]): Promise<UploadInfo>
}

/** Stores that a crash can leave with data no upload names (disk-orphans.ts), and that can remove it. */
export interface ReclaimingStore extends Store {
  /** Removes such leftovers once they are old enough not to belong to a step still running; returns how many. */
  reclaim(): Promise<number>
}

export function isReclaiming(s: Store): s is ReclaimingStore {
  return typeof (s as Partial<ReclaimingStore>).reclaim === 'function'
}

export function isTruncatable(s: Store): s is TruncatableStore {
  return typeof (s as Partial<TruncatableStore>).truncate === 'function'
}

export function isConcatenating(s: Store): s is ConcatenatingStore {
  return typeof (s as Partial<ConcatenatingStore>).concatenate === 'function'
}

export function isListable(s: Store): s is ListableStore {
  return typeof (s as Partial<ListableStore>).list === 'function'
}

export function isReadable(s: Store): s is ReadableStore {
  return typeof (s as Partial<ReadableStore>).read === 'function'
}
