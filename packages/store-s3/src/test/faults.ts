/**
 * Test helper (not shipped): an S3 client whose Nth call and every later one fail before reaching S3, as if the
 * process died between call N-1 and call N. Counted per `send` (before the SDK's own retries), named by command.
 */
import { ReadStream } from 'node:fs'
import type { S3Client } from '@aws-sdk/client-s3'

export class InjectedFault extends Error {}

export interface FaultPlan {
  /** Commands sent, in order (including the failed ones). */
  calls: string[]
}

export function failFromCall(client: S3Client, n: number): FaultPlan {
  const plan: FaultPlan = { calls: [] }
  client.middlewareStack.add(
    (next, context) => async (args) => {
      plan.calls.push(context.commandName ?? '?')
      if (plan.calls.length >= n)
        throw new InjectedFault(`injected: S3 call ${plan.calls.length} (${context.commandName}) never happened`)
      return next(args)
    },
    { step: 'initialize', name: 'rufhFaultInjection' },
  )
  return plan
}

/** One `UploadPart` request as built, just before it is sent: its part number and body. */
export interface PartRequest {
  part: number
  /** `stream`: a part streamed as it fills (part-stream.ts); `buffer`/`file`: sent from part memory or a file. */
  body: 'stream' | 'buffer' | 'file'
  /** The request's body itself (a hook may read from it). */
  raw: unknown
}

/**
 * Calls `hook` for every `UploadPart` once its request is built, before it goes to S3: the hook may wait (a stalled
 * S3), read some of a streamed body, or throw (a failed request). Returns the requests seen, in order.
 */
export function onUploadPart(
  client: S3Client,
  hook: (r: PartRequest) => Promise<void> | void = () => {},
): PartRequest[] {
  const seen: PartRequest[] = []
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'UploadPartCommand') {
        const raw = (args.request as { body?: unknown }).body
        const body = raw instanceof Uint8Array ? 'buffer' : raw instanceof ReadStream ? 'file' : 'stream'
        const r = { part: (args.input as { PartNumber: number }).PartNumber, body, raw } as const
        seen.push(r)
        await hook(r)
      }
      return next(args)
    },
    { step: 'finalizeRequest', name: 'rufhUploadPartHook' },
  )
  return seen
}
