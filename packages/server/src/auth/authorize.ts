/**
 * Authorization on every request, as @tus/server's `onIncomingRequest` does, and ownership of uploads. The handler asks
 * before any procedure runs (so a denied request stores nothing), completion asks again (draft-12 §10, security
 * considerations: an upload outlives the request that created it, so the right to finish it is checked when it
 * finishes), and the principal that created an upload is stored with it.
 */
import { ForbiddenError, HookFailedError, RufhError } from '@rufh/protocol'
import type { UploadEvents } from '../observe/events.js'
import type { UploadInfo } from '../stores/store.js'
import type { UploadRequest } from '../types.js'

/** What a request is about to do. `download` is a GET of a complete upload's bytes; `completion` is the re-check. */
export type AuthProcedure =
  | 'creation'
  | 'append'
  | 'retrieval'
  | 'cancellation'
  | 'download'
  | 'discovery'
  | 'completion'

export interface AuthContext {
  procedure: AuthProcedure
  /** The upload the request is about (absent for creation and discovery, and for unknown uploads). */
  upload: UploadInfo | undefined
}

/** An allowed request, and who made it. */
export interface Grant {
  /** Stored with the uploads it creates; by default only the same principal may use them. */
  principal?: string | undefined
}

/**
 * Resolves to allow the request (with a `Grant` naming its principal, or nothing); throws to deny it:
 * `UnauthorizedError` (401, with its challenge), `ForbiddenError` (403) or `RefusedError` (its status). Anything
 * else it throws fails the request closed (500).
 */
export type Authorize = (request: UploadRequest, context: AuthContext) => Promise<Grant | undefined> | Grant | undefined

export interface AuthorizationOptions {
  /** Ask for discovery (OPTIONS) too. Default true; CORS preflights are answered before, without asking. */
  discovery?: boolean
  /** Only the principal that created an upload may continue, read or cancel it. Default true. */
  ownerOnly?: boolean
}

const principals = new WeakMap<UploadRequest, string | undefined>()

/** The principal this request was authorized as (undefined when none was named or nothing was asked). */
export function principalOf(request: UploadRequest): string | undefined {
  return principals.get(request)
}

export class Authorization {
  readonly discovery: boolean
  readonly ownerOnly: boolean

  constructor(
    private readonly authorize: Authorize,
    options: AuthorizationOptions = {},
  ) {
    this.discovery = options.discovery ?? true
    this.ownerOnly = options.ownerOnly ?? true
  }

  /** Asks the authorizer, then checks ownership; throws the denial. Returns the principal. */
  async check(request: UploadRequest, procedure: AuthProcedure, upload?: UploadInfo): Promise<string | undefined> {
    let grant: Grant | undefined
    try {
      grant = await this.authorize(request, { procedure, upload })
    } catch (e) {
      if (e instanceof RufhError) throw e
      throw new HookFailedError('authorization', { cause: e })
    }
    const principal = typeof grant?.principal === 'string' && grant.principal !== '' ? grant.principal : undefined
    principals.set(request, principal)
    if (upload) this.checkOwner(request, upload)
    return principal
  }

  /** An upload with an owner is the owner's alone (unless `ownerOnly` is off). */
  checkOwner(request: UploadRequest, upload: UploadInfo): void {
    if (!this.ownerOnly || upload.owner === undefined) return
    if (principals.get(request) !== upload.owner) throw new ForbiddenError('this upload belongs to another principal')
  }

  /**
   * Gates on the event channel: a new upload records its creator; completion asks again (first of the pre-finish
   * gates, so a hook never sees a completion that authorization refuses).
   */
  listen(events: UploadEvents): void {
    events.onPreCreate((init, request) => {
      if (request) init.owner = principalOf(request)
    })
    events.onPreFinish(async (upload, request) => {
      await this.check(request, 'completion', upload)
      return undefined
    })
  }
}
