/**
 * Streaming one request body into an upload: bytes are cut into parts of exactly the upload's part size, each sent
 * with `UploadPart`, and the record naming them written while later parts are sent. A part the body is known to fill
 * completely (the append was told the body's length, `AppendOptions.bodyLength`, and the tail plus that length reach
 * past the part's end) is streamed to S3 as its bytes arrive, with a copy kept until S3 holds it (part-stream.ts)
 * in part memory, or on disk only with `spoolStreamed`: without a copy, a cut loses only that part's bytes, none of
 * them acknowledged, and a failed attempt fails the append (docs/storage.md). Any other part is held first in the
 * store's part memory or a temporary file (part-buffer.ts) and sent once full, while the next one fills. Up to
 * `PARTS_IN_FLIGHT` parts go at once: temporary disk is at most one part more than that per append, memory the
 * store's part memory plus a few chunks (and `STREAM_AHEAD` per streamed part). What is left when the body ends,
 * fewer than one part's bytes, is kept as the new tail (tail.ts): also when the body ends early inside a streamed
 * part with a copy, whose request is then aborted and whose received bytes are all in that copy. Any number of
 * appends of any size therefore uses one part number per `partSize` bytes, never one per append.
 *
 * Durability: the record (`<id>.info`) is rewritten once `RECORD_EVERY` bytes of parts S3 acknowledged are not named
 * by it yet, or `RECORD_AFTER_MS` after a part it does not name was acknowledged (only an unbroken run from the
 * first: a part acknowledged out of order waits for the ones before it), and when the body ends (with the new tail),
 * and only then is the new offset reported (`onProgress`, the return value). Parts acknowledged but not yet recorded
 * are not reported; a streamed part counts only once S3 acknowledged it, as a held one. Nothing is deleted before a
 * record that no longer needs it is stored: the old tail stays (as the undo point for `truncate`) until the next
 * append has committed. So a crash between any two S3 calls leaves a record whose offset is the last one reported,
 * or more, and counts only bytes S3 holds. A part sent but never recorded (or cut while streamed) is sent again
 * (same number) by the next append.
 */
import { CreateMultipartUploadCommand, UploadPartCommand, type UploadPartCommandInput } from '@aws-sdk/client-s3'
import { LimitError } from '@rufh/protocol'
import type { AppendOptions } from '@rufh/server'
import { type Bucket, withRetries } from './bucket.js'
import { PartBuffer, type PartMemory, partBody, type SpooledPart } from './part-buffer.js'
import { PartStream } from './part-stream.js'
import { offsetOf, type UploadRecord } from './record.js'
import { storeSpooledTail, tailChunks } from './tail.js'

export interface AppendLimits {
  /** The service's part-count limit (10,000 on AWS). */
  maxParts: number
  /** Tails up to this many bytes live inside the record (tail.ts). */
  inlineTail: number
  /** Where parts wait until they are sent when `memory` has no room (part-buffer.ts). */
  tempDir: string
  /** The store's memory for parts (part-buffer.ts); none: every part goes to `tempDir`. */
  memory?: PartMemory | undefined
  /** Bytes of acknowledged parts that make the record be rewritten during an append (default `RECORD_EVERY`). */
  recordEvery?: number | undefined
  /** A streamed part keeps its copy in `tempDir` when `memory` has no room (else it has none; part-stream.ts). */
  spoolStreamed?: boolean | undefined
}

/** Parts of one append on their way to S3 at once: temporary disk per append is at most one more than this. */
export const PARTS_IN_FLIGHT = 4

/**
 * Default `AppendLimits.recordEvery`: bytes of acknowledged parts after which the record is rewritten during an
 * append (and so the offset reported, as a 104 where the protocol has them). One record PUT per part cost 129 PutObject for a 1 GiB upload, each a request
 * for the server's SDK and for the S3 service; a 32 MiB step makes that 33. What a crash can cost is unchanged in
 * kind: parts sent but not recorded are sent again by the next append, now up to 32 MiB of them.
 */
export const RECORD_EVERY = 32 * 1024 * 1024

/**
 * A part acknowledged is recorded (and reported) at most this long after, however few bytes follow it: a slow or
 * stalled body still sees its stored parts reported (the server sends progress 104s at most once a second anyway).
 */
export const RECORD_AFTER_MS = 1000

export async function appendBody(
  b: Bucket,
  current: UploadRecord,
  body: AsyncIterable<Uint8Array>,
  limits: AppendLimits,
  options: AppendOptions = {},
): Promise<number> {
  const rec: UploadRecord = structuredClone(current)
  const { partSize } = rec
  const before = { parts: rec.parts.length, tail: rec.tail }
  const staleTail = rec.undo?.tail
  let committed = false
  const buffer = new PartBuffer(partSize, limits.tempDir, limits.memory)
  let tailLoaded = false
  /** Part uploads running; each resolves when S3 acknowledged its part (or failed). */
  const inFlight = new Set<Promise<void>>()
  /** Parts S3 acknowledged that are not yet in `rec.parts` (an earlier one is still on its way), by number. */
  const acknowledged = new Map<number, string>()
  let nextPart = rec.parts.length + 1
  let multipart: Promise<string> | undefined
  /** Record writes, in order: parts go on to S3 while the record naming the earlier ones is written. */
  let commits: Promise<void> = Promise.resolve()
  /** Parts named by the last record write queued (it writes what `rec` holds when it runs: maybe more). */
  let queuedParts = rec.parts.length
  let failure: { e: unknown } | undefined
  let bodyFailure: unknown
  let hasBodyFailure = false

  const commit = async (): Promise<void> => {
    rec.undo = before
    // What this write makes durable: parts acknowledged later are reported by the commit that records them.
    const offset = offsetOf(rec)
    await b.putRecord(rec)
    if (!committed) {
      committed = true
      // The previous append's undo tail is named by no record any more.
      if (staleTail?.key && staleTail.key !== before.tail?.key && staleTail.key !== rec.tail?.key)
        await b.delete(staleTail.key)
    }
    options.onProgress?.(offset)
  }
  const queueCommit = (): void => {
    queuedParts = rec.parts.length
    commits = commits.then(commit)
    commits.catch((e) => {
      failure ??= { e }
    })
  }
  /**
   * Set once the body is read to its end (or failed): the timer is off, since the end writes the record anyway once
   * every part is back (record writes queued by parts still arriving are awaited with it).
   */
  let ending = false
  let recordTimer: NodeJS.Timeout | undefined
  const recordSoon = (): void => {
    if ((rec.parts.length - queuedParts) * partSize >= (limits.recordEvery ?? RECORD_EVERY)) queueCommit()
    else if (!ending)
      recordTimer ??= setTimeout(() => {
        recordTimer = undefined
        if (!ending && rec.parts.length > queuedParts) queueCommit()
      }, RECORD_AFTER_MS)
  }
  const stopRecording = (): void => {
    ending = true
    clearTimeout(recordTimer)
  }
  const check = (): void => {
    if (failure) throw failure.e
  }

  const startMultipart = async (): Promise<string> => {
    const created = await b.client.send(
      new CreateMultipartUploadCommand({ Bucket: b.name, Key: b.layout.object(rec.id), ...contentTypeOf(rec) }),
    )
    if (!created.UploadId) throw new Error('S3 returned no UploadId')
    rec.multipart = created.UploadId
    return created.UploadId
  }

  const uploadIdOf = (): Promise<string> =>
    (multipart ??= rec.multipart !== undefined ? Promise.resolve(rec.multipart) : startMultipart())

  const uploadPart = async (
    uploadId: string,
    n: number,
    body: UploadPartCommandInput['Body'],
    size: number,
    signal?: AbortSignal,
  ): Promise<string> => {
    const r = await b.client.send(
      new UploadPartCommand({
        Bucket: b.name,
        Key: b.layout.object(rec.id),
        UploadId: uploadId,
        PartNumber: n,
        Body: body,
        ContentLength: size,
      }),
      signal ? { abortSignal: signal } : {},
    )
    if (!r.ETag) throw new Error('S3 returned no ETag for a part')
    return r.ETag
  }

  const acknowledge = (n: number, etag: string): void => {
    acknowledged.set(n, etag)
    // Only an unbroken run of parts counts: the record never names a part after a missing one.
    let grew = false
    for (let next = rec.parts.length + 1; acknowledged.has(next); next++) {
      rec.parts.push({ n: next, etag: acknowledged.get(next) as string })
      acknowledged.delete(next)
      grew = true
    }
    if (!grew) return
    // The first part starts where the tail started (a tail is shorter than a part), so it holds the whole tail.
    rec.tail = undefined
    recordSoon()
  }

  const sendPart = async (part: SpooledPart, n: number): Promise<void> => {
    const uploadId = await uploadIdOf()
    acknowledge(n, await withRetries(() => uploadPart(uploadId, n, partBody(part), part.size)))
  }

  /** Sends the full parts the buffer holds (parts not streamed). */
  const sendFull = async (): Promise<void> => {
    for (let part = buffer.takePart(); part; part = buffer.takePart()) {
      const p = part
      try {
        // Back-pressure: the body is not read further while PARTS_IN_FLIGHT parts are on their way.
        while (inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(inFlight)
        check()
        if (nextPart > limits.maxParts)
          throw new LimitError('max-size', (nextPart - 1) * partSize + p.size, limits.maxParts * partSize)
      } catch (e) {
        await buffer.release(p)
        throw e
      }
      // The part's memory or file is released once it is sent or has failed (the buffer no longer holds it).
      const sending: Promise<void> = sendPart(p, nextPart++)
        .catch((e) => {
          failure ??= { e }
        })
        .finally(() => {
          inFlight.delete(sending)
          return buffer.release(p)
        })
      inFlight.add(sending)
    }
  }

  /** Bytes this append ends at if the body ends normally, counted from where the tail starts. */
  const planned = options.bodyLength !== undefined ? (rec.tail?.size ?? 0) + options.bodyLength : undefined
  /** Bytes given to the buffer so far: the tail's, then the body's. */
  let fed = 0
  /** The part being streamed while it fills, if any; it counts as in flight from its first byte. */
  let streaming: PartStream | undefined

  const startStream = async (copied: boolean): Promise<PartStream> => {
    while (inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(inFlight)
    check()
    const n = nextPart++
    const s = new PartStream(
      partSize,
      async (body, signal) => uploadPart(await uploadIdOf(), n, body, partSize, signal),
      (p) => buffer.release(p),
      copied,
    )
    const sending: Promise<void> = s.done
      .then(
        (etag) => acknowledge(n, etag),
        (e) => {
          // A cut part is no failure: its bytes become the tail.
          if (!s.wasCut) failure ??= { e }
        },
      )
      .finally(() => {
        inFlight.delete(sending)
      })
    inFlight.add(sending)
    return s
  }

  /** Takes `chunk` into parts: streamed when the body is known to fill the part, else held and sent once full. */
  const feed = async (chunk: Uint8Array): Promise<void> => {
    for (let at = 0; at < chunk.byteLength; ) {
      // The part limit is left to the held path, which refuses the part once it is full (LimitError).
      if (!streaming && buffer.size === 0 && planned !== undefined && fed + partSize <= planned)
        if (nextPart <= limits.maxParts) {
          // A copy in part memory costs nothing but the memory; one on disk costs a write of every byte, the largest
          // cost of 100 uploads at once (issue 15), for a cut or a failed attempt only.
          streaming = await startStream(buffer.startInMemory() || limits.spoolStreamed === true)
        }
      // A part streamed with no copy takes its bytes alone; one with a copy takes them as the buffer does.
      const bare = streaming?.copied === false ? streaming : undefined
      const piece = chunk.subarray(at, at + Math.min(chunk.byteLength - at, bare ? bare.remaining : buffer.room))
      at += piece.byteLength
      fed += piece.byteLength
      if (bare) {
        if (piece.byteLength === bare.remaining) streaming = undefined
        await bare.write(piece)
        continue
      }
      await buffer.push(piece)
      if (!streaming) {
        // Most chunks fill no part: no async step for them.
        if (buffer.hasFull) await sendFull()
        continue
      }
      const s = streaming
      const copy = buffer.takePart()
      if (copy) {
        streaming = undefined
        await s.handOver(copy)
      }
      await s.write(piece)
    }
  }

  const it = body[Symbol.asyncIterator]()
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>
      try {
        next = await it.next()
      } catch (e) {
        bodyFailure = e
        hasBodyFailure = true
        break
      }
      if (next.done) break
      const chunk = next.value
      if (chunk.byteLength === 0) continue
      if (!tailLoaded) {
        tailLoaded = true
        if (rec.tail) for await (const c of tailChunks(b, rec.tail)) await feed(c)
      }
      await feed(chunk)
    }
    // The body ended (or failed) inside a part it was to fill: that part's bytes, all in its copy, are the tail; with
    // no copy they are lost, none of them acknowledged (the old tail, which such a part starts with, stays recorded).
    streaming?.cut()
    streaming = undefined
    stopRecording()
    await Promise.all(inFlight)
    check()
    const rest = await buffer.takeRest()
    if (rest) {
      rec.tail = await storeSpooledTail(b, rec, rest, limits.inlineTail).finally(() => buffer.release(rest))
      queueCommit()
    } else if (rec.parts.length > queuedParts) queueCommit()
    await commits
    check()
  } catch (e) {
    // An S3 failure: stop reading the body; the offset stays the last one committed, or what the parts S3 did
    // acknowledge make it, if their record can still be written.
    streaming?.cut()
    stopRecording()
    await Promise.all(inFlight)
    if (rec.parts.length > queuedParts) queueCommit()
    await commits.catch(() => {})
    try {
      await it.return?.()
    } catch {
      // the body's own failure is not the one to report
    }
    throw e
  } finally {
    await buffer.discard()
  }
  if (hasBodyFailure) throw bodyFailure
  return offsetOf(rec)
}

export function contentTypeOf(rec: UploadRecord): { ContentType?: string } {
  const t = rec.metadata['filetype']
  return t ? { ContentType: t } : {}
}
