/**
 * The info file of a disk store upload (disk-store.ts): read, created and replaced in as few file-system calls as
 * crash safety allows. Every call is a round trip through libuv's thread pool, and every new inode costs the kernel
 * more than a write (issue 17), so a new info is written where it belongs and a replace goes over the old record when
 * it can; the record format that makes that safe is in info-record.ts.
 */
import { rm } from 'node:fs/promises'
import { UploadExistsError, UploadNotFoundError } from '@rufh/protocol'
import { closeFd, openFd, readAt, renamePath, syncFd, writeAllAt } from './fd.js'
import { decodeInfo, encodeInfo, RECORD_HEAD, TornInfoError } from './info-record.js'
import { readJsonFile } from './small-file.js'
import { storedUploadMeta, type UploadInfo } from './store.js'

export type Meta = Omit<UploadInfo, 'offset'>

/** The most an info record written in place may take: one page (a kill -9 cannot tear a write within one). */
const PAGE = 4096
/** Reads of an info file that fails its checksum before it is reported (`read`). */
const TORN_READS = 5

export class InfoFiles {
  /** `directory` is flushed after a rename when `fsync` is set. */
  constructor(
    private readonly directory: string,
    private readonly fsync: boolean,
  ) {}

  /** The info of upload `id` from its file `info`. */
  async read(id: string, info: string): Promise<Meta> {
    let raw: Partial<Meta>
    for (let attempt = 1; ; attempt++) {
      try {
        raw = (await readJsonFile(info, decodeInfo)) as Partial<Meta>
        break
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UploadNotFoundError()
        // Raced an in-place `replace`: the next read sees the whole new record. Still torn after a few
        // reads is no race (a power loss without fsync tore it): reported.
        if (!(e instanceof TornInfoError) || attempt === TORN_READS) throw e
      }
    }
    // Empty: a creation killed between making its info file and writing it (`create`); it never returned.
    if (raw === undefined) throw new UploadNotFoundError()
    return storedUploadMeta(id, raw)
  }

  /**
   * A new upload's info, written in place: created exclusively and written with one call, so no temporary file, no
   * rename and one inode fewer per upload than `viaTemporary` (on file systems where making an inode is costly, such as
   * ext4 without a journal, which scans past recently freed inodes, that is most of a held upload's server CPU: issue
   * 17). Readers cannot race it: the upload's URL is given out only after `create` returns. A failed write removes
   * the file, so that what is left is a data file without info (an orphan, disk-orphans.ts).
   */
  async create(meta: Meta, info: string): Promise<void> {
    const record = Buffer.from(encodeInfo(meta))
    if (this.fsync) return this.viaTemporary(record, info)
    const fd = await openFd(info, 'wx').catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'EEXIST' ? new UploadExistsError(meta.id) : e
    })
    try {
      await writeAllAt(fd, [record], 0)
    } catch (e) {
      await closeFd(fd).catch(() => {})
      await rm(info, { force: true }).catch(() => {})
      throw e
    }
    await closeFd(fd)
  }

  /**
   * Replaces an upload's info, in place when it can: one write over the old record, no new inode (see `create`
   * for why that matters). Only when the new record fits in the first page (a kill -9 cannot tear it) and the old
   * one is a record too (any mixture of the two that a racing reader sees then fails the checksum, info-record.ts);
   * it is padded with spaces over the old one's length. Otherwise, and with fsync, through a temporary file.
   * Callers hold the upload's lease, so no two replaces of one info race.
   */
  async replace(meta: Meta, info: string): Promise<void> {
    const record = Buffer.from(encodeInfo(meta))
    if (this.fsync || record.length > PAGE) return this.viaTemporary(record, info)
    const fd = await openFd(info, 'r+').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined
      throw e
    })
    if (fd === undefined) return this.viaTemporary(record, info)
    let written = false
    try {
      const old = Buffer.allocUnsafe(PAGE)
      const n = await readAt(fd, old, 0, PAGE, 0)
      if (n < PAGE && old.toString('latin1', 0, RECORD_HEAD.length) === RECORD_HEAD) {
        const out = n > record.length ? Buffer.alloc(n, 0x20) : record
        if (out !== record) record.copy(out)
        await writeAllAt(fd, [out], 0)
        written = true
      }
    } finally {
      await closeFd(fd)
    }
    if (!written) await this.viaTemporary(record, info)
  }

  /** Atomic replace by `record` through a temporary file: readers see the old or the new info, never a torn one. */
  private async viaTemporary(record: Buffer, info: string): Promise<void> {
    const tmp = `${info}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
    const fd = await openFd(tmp, 'w')
    try {
      await writeAllAt(fd, [record], 0)
      if (this.fsync) await syncFd(fd)
    } finally {
      await closeFd(fd)
    }
    await renamePath(tmp, info)
    if (this.fsync) {
      const dir = await openFd(this.directory, 'r')
      try {
        await syncFd(dir)
      } finally {
        await closeFd(dir)
      }
    }
  }
}
