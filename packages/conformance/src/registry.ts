/** Every check, in report order (IETF draft, then tus 1.0.0), and the selection of checks for one interop version. */
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
import { refusalChecks } from './checks/refusals.js'
import { retrievalChecks } from './checks/retrieval.js'
import { supersededChecks } from './checks/superseded.js'
import { tusChecksumChecks } from './tus/checksum.js'
import { tusConcatenationChecks } from './tus/concatenation.js'
import { tusCoreChecks } from './tus/core.js'
import { tusCreationChecks } from './tus/creation.js'
import { tusInterruptionChecks } from './tus/interruption.js'
import { tusLifecycleChecks } from './tus/lifecycle.js'
import type { AnyCheck, Check, TusCheck } from './types.js'

/** The checks of the IETF draft. */
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
  ...supersededChecks,
  ...cancellationChecks,
  ...fieldChecks,
  ...refusalChecks,
]

/** The checks of tus 1.0.0; each applies when the server advertises the extensions it needs. */
export const tusChecks: readonly TusCheck[] = [
  ...tusCoreChecks,
  ...tusCreationChecks,
  ...tusLifecycleChecks,
  ...tusChecksumChecks,
  ...tusConcatenationChecks,
  ...tusInterruptionChecks,
]

export const allChecks: readonly AnyCheck[] = [...checks, ...tusChecks]

export function checksFor(interop: number, draft: string): Check[] {
  return checks.filter((c) => c.versions.includes(interop) && (!c.drafts || c.drafts.includes(draft)))
}

export function checkById(id: string): AnyCheck | undefined {
  return allChecks.find((c) => c.id === id)
}
