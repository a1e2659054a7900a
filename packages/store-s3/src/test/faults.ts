/**
 * Test helper (not shipped): an S3 client whose Nth call and every later one fail before reaching S3, as if the
 * process died between call N-1 and call N. Counted per `send` (before the SDK's own retries), named by command.
 */
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
