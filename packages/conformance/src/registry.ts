/** Every check, in report order, and the selection of checks for one interop version and draft revision. */
import { appendChecks } from './checks/appends.js'
import { cancellationChecks } from './checks/cancellation.js'
import { completionChecks } from './checks/completion.js'
import { concurrencyChecks } from './checks/concurrency.js'
import { creationChecks } from './checks/creation.js'
import { discoveryChecks } from './checks/discovery.js'
import { fieldChecks } from './checks/fields.js'
import { gateChecks } from './checks/gate.js'
import { interruptionChecks } from './checks/interruption.js'
import { lengthChecks } from './checks/lengths.js'
import { limitChecks } from './checks/limits.js'
import { offsetChecks } from './checks/offsets.js'
import { retrievalChecks } from './checks/retrieval.js'
import type { Check } from './types.js'

export const checks: readonly Check[] = [
  ...gateChecks,
  ...discoveryChecks,
  ...creationChecks,
  ...retrievalChecks,
  ...appendChecks,
  ...offsetChecks,
  ...completionChecks,
  ...lengthChecks,
  ...limitChecks,
  ...interruptionChecks,
  ...concurrencyChecks,
  ...cancellationChecks,
  ...fieldChecks,
]

export function checksFor(interop: number, draft: string): Check[] {
  return checks.filter((c) => c.versions.includes(interop) && (!c.drafts || c.drafts.includes(draft)))
}

export function checkById(id: string): Check | undefined {
  return checks.find((c) => c.id === id)
}
