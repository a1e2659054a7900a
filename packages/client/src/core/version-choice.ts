/**
 * Which protocol version the upload speaks, and how sure the client is of it. The draft has no negotiation (spec
 * notes §4.14), so with `interop: 'auto'` the client finds the version by asking: newest first, an empty creation per
 * guess (a server that does not speak the version takes it as an ordinary request, with no content to lose), one
 * version down each time no upload resource comes back. A rufh server's refusal lists its versions, and an endpoint's
 * answer is remembered (`StateStore.setVersion`), so later uploads skip the guessing.
 */
import type { HeaderReader, ProtocolCodec } from '@rufh/protocol'
import type { CreationMode, UploadOptions } from './options.js'
import { candidateCodecs, interopOf, isDraft } from './versions.js'

export interface ChoiceHooks {
  /** The version in use changed. */
  version: (codec: ProtocolCodec) => void
  /** `auto` found the endpoint's version (an upload resource was made), or found the remembered one wrong. */
  learned: (codec: ProtocolCodec | undefined) => void
}

export class VersionChoice {
  /** The versions still to try, the one in use first. */
  private candidates: ProtocolCodec[]
  codec: ProtocolCodec
  /** A 104 or response at this version was understood: never step down after that. */
  confirmed = false
  /** `interop: 'auto'`: the version is found by asking, and remembered per endpoint. */
  readonly auto: boolean
  /**
   * The version in use is a guess (`auto`, nothing remembered, nothing listed by the server): the creation request
   * carries no content. Off with an explicit `creation: 'optimistic'` (the caller takes the risk).
   */
  guessing: boolean
  /** The version came from the state store, or was written there in this run. */
  private remembered = false

  constructor(
    private readonly options: Pick<UploadOptions, 'interop' | 'creation'>,
    private readonly hooks: ChoiceHooks,
  ) {
    this.auto = (options.interop ?? 'auto') === 'auto'
    this.candidates = candidateCodecs(options.interop ?? 'auto')
    this.codec = this.candidates[0]!
    this.guessing = this.guessWanted()
  }

  private guessWanted(): boolean {
    const mode: CreationMode = this.options.creation ?? 'auto'
    return this.auto && mode !== 'optimistic'
  }

  accepts(codec: ProtocolCodec): boolean {
    return this.candidates.includes(codec)
  }

  /** An upload remembered from an earlier run: only its version. */
  adopt(codec: ProtocolCodec): void {
    this.candidates = [codec]
    this.codec = codec
    this.confirmed = true
    this.guessing = false
  }

  /** The version remembered for the endpoint: tried first, with no guessing; older ones stay as fallbacks. */
  useKnown(codec: ProtocolCodec): void {
    const i = this.candidates.indexOf(codec)
    if (i < 0) return
    this.candidates = this.candidates.slice(i)
    this.codec = codec
    this.guessing = false
    this.remembered = true
  }

  /** Back to the start (a remembered upload is gone: a new one starts). */
  reset(): void {
    this.candidates = candidateCodecs(this.options.interop ?? 'auto')
    this.codec = this.candidates[0]!
    this.confirmed = false
    this.guessing = this.guessWanted()
    this.remembered = false
  }

  /** An upload resource was made at the version in use: it is what the endpoint speaks. */
  found(): void {
    this.confirmed = true
    this.guessing = false
    if (this.auto && !this.remembered) {
      this.remembered = true
      this.hooks.learned(this.codec)
    }
  }

  /**
   * A creation at the version in use made no upload resource although it carried the content (a chosen version, or a
   * remembered one): a remembered answer is wrong, so it is forgotten and the next upload finds the version again.
   */
  notSpoken(): void {
    if (!this.remembered) return
    this.remembered = false
    this.hooks.learned(undefined)
  }

  /** The tus codec among the candidates, if any. */
  tusCandidate(): ProtocolCodec | undefined {
    return this.candidates.find((c) => !isDraft(c))
  }

  /** A tus-only server: go straight to tus 1.0 (its creations carry no content anyway). */
  toTus(): boolean {
    const tus = this.tusCandidate()
    if (!tus || tus === this.codec) return false
    this.candidates = [tus]
    this.switchTo(tus, undefined)
    return true
  }

  /**
   * The server does not speak the version in use: go on with the next one, or the newest it lists (`supported`, a
   * rufh server's refusal; `keepCurrent` when the version in use may be among them, as after OPTIONS).
   */
  stepDown(supported: number[] | undefined, keepCurrent = false): boolean {
    const rest = keepCurrent ? this.candidates : this.candidates.slice(1)
    const next = supported ? rest.filter((c) => supported.includes(interopOf(c) ?? -1)) : rest
    if (next.length === 0) return false
    this.candidates = next
    this.switchTo(next[0]!, supported)
    return true
  }

  /**
   * A creation refused as a version problem, before the version was confirmed: tus when the refusal shows a tus
   * server, else the next version down. False when there is nothing else to try.
   */
  afterRefusal(h: HeaderReader, supported: number[] | undefined): boolean {
    if (this.confirmed) return false
    if (this.tusCandidate()?.advertisedBy(h) && this.toTus()) return true
    return this.stepDown(supported)
  }

  private switchTo(codec: ProtocolCodec, supported: number[] | undefined): void {
    const changed = codec !== this.codec
    this.codec = codec
    // The remembered version was wrong (the server changed): forget it, and find the version again.
    if (changed && this.remembered) {
      this.remembered = false
      this.hooks.learned(undefined)
    }
    // A version the server listed is no guess; one reached by stepping down blindly is.
    if (this.auto) this.guessing = supported === undefined && this.guessWanted()
    this.hooks.version(codec)
  }
}
