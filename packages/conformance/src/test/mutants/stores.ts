/** Store mutants: a real DiskStore wrapped so that one storage rule breaks. */
import {
  type AppendOptions,
  type ConcatenatingStore,
  DiskStore,
  type NewUpload,
  type Store,
  type TruncatableStore,
  type UploadInfo,
  type UploadPatch,
} from '@rufh/server'

/** Whether the body the server passed to `append` ended normally (the server's body reader says so). */
function endedNormally(body: AsyncIterable<Uint8Array>): boolean {
  return (body as { ended?: boolean }).ended !== false
}

/** A DiskStore passed through, with its tus capabilities (truncation for checksums, concatenation). */
class Wrapped implements TruncatableStore, ConcatenatingStore {
  constructor(protected readonly inner: DiskStore) {}
  create(init: NewUpload): Promise<UploadInfo> {
    return this.inner.create(init)
  }
  get(id: string): Promise<UploadInfo> {
    return this.inner.get(id)
  }
  append(id: string, offset: number, body: AsyncIterable<Uint8Array>, options?: AppendOptions): Promise<number> {
    return this.inner.append(id, offset, body, options)
  }
  update(id: string, patch: UploadPatch): Promise<UploadInfo> {
    return this.inner.update(id, patch)
  }
  remove(id: string): Promise<void> {
    return this.inner.remove(id)
  }
  truncate(id: string, offset: number): Promise<void> {
    return this.inner.truncate(id, offset)
  }
  concatenate(init: NewUpload, partIds: readonly string[]): Promise<UploadInfo> {
    return this.inner.concatenate(init, partIds)
  }
}

/** Reports one byte less than it has. */
class OffsetGoesDown extends Wrapped {
  override async get(id: string): Promise<UploadInfo> {
    const i = await this.inner.get(id)
    return i.offset > 0 ? { ...i, offset: i.offset - 1 } : i
  }
}

/** Marks an upload complete when its transfer was interrupted. */
class CompletesOnInterrupt extends Wrapped {
  override async append(
    id: string,
    offset: number,
    body: AsyncIterable<Uint8Array>,
    o?: AppendOptions,
  ): Promise<number> {
    const end = await this.inner.append(id, offset, body, o)
    if (!endedNormally(body)) await this.inner.update(id, { complete: true })
    return end
  }
}

/** Stores nothing of an interrupted transfer. */
class DropsPartial extends Wrapped {
  override async append(
    id: string,
    offset: number,
    body: AsyncIterable<Uint8Array>,
    o?: AppendOptions,
  ): Promise<number> {
    const parts: Uint8Array[] = []
    for await (const c of body) parts.push(c)
    if (!endedNormally(body)) return offset
    return this.inner.append(
      id,
      offset,
      (async function* () {
        yield* parts
      })(),
      o,
    )
  }
}

/**
 * Never records completion, nor the length completion fixes, so appends after completion go through. (Forgetting
 * only completion would leave the length to refuse them: data past the length is refused in every version, and since
 * draft-05 keeps the upload usable there, interop 6 could not tell the difference.)
 */
class ForgetsCompletion extends Wrapped {
  override async get(id: string): Promise<UploadInfo> {
    return forgetful(await this.inner.get(id))
  }
  override async update(id: string, patch: UploadPatch): Promise<UploadInfo> {
    return forgetful(await this.inner.update(id, patch))
  }
}
const forgetful = (i: UploadInfo): UploadInfo => ({ ...i, complete: false, length: i.complete ? undefined : i.length })

/** Concatenates all partial uploads but the last. */
class ConcatDropsLast extends Wrapped {
  override concatenate(init: NewUpload, partIds: readonly string[]): Promise<UploadInfo> {
    return this.inner.concatenate(init, partIds.slice(0, -1))
  }
}

/** Forgets that a final upload is one (so it is reported and treated as a plain complete upload). */
class FinalForgetsConcat extends Wrapped {
  override async get(id: string): Promise<UploadInfo> {
    const i = await this.inner.get(id)
    return i.concat?.kind === 'final' ? { ...i, concat: undefined } : i
  }
}

export const tusStoreMutants = {
  'concat-drops-last': (directory: string) => new ConcatDropsLast(new DiskStore({ directory })),
  'final-forgets-concat': (directory: string) => new FinalForgetsConcat(new DiskStore({ directory })),
} satisfies Record<string, (dir: string) => Store>

export const storeMutants = {
  'offset-goes-down': (directory: string) => new OffsetGoesDown(new DiskStore({ directory })),
  'completes-on-interrupt': (directory: string) => new CompletesOnInterrupt(new DiskStore({ directory })),
  'drops-partial': (directory: string) => new DropsPartial(new DiskStore({ directory })),
  'forgets-completion': (directory: string) => new ForgetsCompletion(new DiskStore({ directory })),
} satisfies Record<string, (dir: string) => Store>
