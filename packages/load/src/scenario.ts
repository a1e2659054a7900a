/**
 * When uploads start. Closed model: `users` virtual users, each running its uploads one after another (the next starts
 * when the previous one ended). Open model: uploads arrive at a fixed rate whatever the server's speed, evenly spaced,
 * with at most `maxInFlight` at once (arrivals beyond that are skipped and counted). Both stop by themselves: after
 * their count, or at the duration (no new upload starts after it; running ones get `graceMs`, then are aborted).
 *
 * Upload indexes do not depend on timing (closed: user u's j-th upload is j × users + u; open: the i-th arrival), so
 * with one seed each index has the same size, payload and cut points in every run.
 */

export type Model =
  | { kind: 'closed'; users: number; uploadsPerUser: number | undefined }
  | { kind: 'open'; ratePerSecond: number; uploads: number | undefined; maxInFlight: number }

export interface Bounds {
  durationMs: number | undefined
  graceMs: number
}

export interface ScenarioResult {
  started: number
  /** Open model: arrivals dropped because `maxInFlight` uploads were running. */
  skipped: number
  /** The hard stop fired (deadline + grace) and running uploads were aborted. */
  aborted: boolean
  wallMs: number
}

export function describeModel(m: Model): string {
  if (m.kind === 'closed')
    return `closed: ${m.users} user${m.users === 1 ? '' : 's'} × ${m.uploadsPerUser ?? '∞'} upload${m.uploadsPerUser === 1 ? '' : 's'}`
  return `open: ${m.ratePerSecond}/s${m.uploads !== undefined ? `, ${m.uploads} uploads` : ''}, at most ${m.maxInFlight} in flight`
}

/** Runs `job(index)` for each upload the model starts; resolves when every started upload has settled. */
export async function runScenario(
  model: Model,
  bounds: Bounds,
  job: (index: number, signal: AbortSignal) => Promise<void>,
  stop: AbortController = new AbortController(),
): Promise<ScenarioResult> {
  const t0 = performance.now()
  const deadline = bounds.durationMs !== undefined ? t0 + bounds.durationMs : Number.POSITIVE_INFINITY
  let aborted = false
  let hardStop: NodeJS.Timeout | undefined
  let deadlineTimer: NodeJS.Timeout | undefined
  /** Resolves at the deadline (or never), so that waits end there. */
  const atDeadline = new Promise<void>((resolve) => {
    if (bounds.durationMs === undefined) return
    deadlineTimer = setTimeout(() => {
      resolve()
      hardStop = setTimeout(() => {
        aborted = true
        stop.abort(new Error('run time limit'))
      }, bounds.graceMs)
    }, bounds.durationMs)
  })
  const open = () => performance.now() < deadline && !stop.signal.aborted
  let started = 0
  let skipped = 0
  const running = new Set<Promise<void>>()
  const launch = (index: number) => {
    started++
    const p = job(index, stop.signal).finally(() => running.delete(p))
    running.add(p)
  }

  try {
    if (model.kind === 'closed') {
      const user = async (u: number) => {
        for (let j = 0; model.uploadsPerUser === undefined || j < model.uploadsPerUser; j++) {
          if (!open()) return
          started++
          await job(j * model.users + u, stop.signal)
        }
      }
      await Promise.all(Array.from({ length: model.users }, (_, u) => user(u)))
    } else {
      const interval = 1000 / model.ratePerSecond
      let i = 0
      while ((model.uploads === undefined || i < model.uploads) && open()) {
        const due = t0 + i * interval
        const wait = due - performance.now()
        if (wait > 1) await Promise.race([new Promise((r) => setTimeout(r, wait)), atDeadline])
        if (!open()) break
        // Start every arrival that is due now (timers are coarser than high rates).
        while ((model.uploads === undefined || i < model.uploads) && t0 + i * interval <= performance.now()) {
          if (running.size >= model.maxInFlight) skipped++
          else launch(i)
          i++
        }
      }
      while (running.size > 0) await Promise.race(running)
    }
  } finally {
    clearTimeout(deadlineTimer)
    clearTimeout(hardStop)
  }
  return { started, skipped, aborted, wallMs: performance.now() - t0 }
}
