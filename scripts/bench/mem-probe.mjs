/**
 * Preloaded into benchmark servers (`node --import ./mem-probe.mjs server.mjs ...`): on SIGUSR2 it writes
 * `process.memoryUsage()` and V8's heap spaces as one JSON line to `$RUFH_MEM_PROBE` (and, when `$RUFH_HEAP_SNAPSHOT`
 * names a file, a heap snapshot there first), then appends `done` so the reader knows it is complete. Used by the
 * held suite to account for what an open upload costs, by category, in a server it cannot otherwise instrument.
 */
import { appendFileSync, writeFileSync } from 'node:fs'
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8'

const out = process.env.RUFH_MEM_PROBE
if (out) {
  process.on('SIGUSR2', () => {
    const snapshot = process.env.RUFH_HEAP_SNAPSHOT
    if (snapshot) writeHeapSnapshot(snapshot)
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]))
    writeFileSync(out, `${JSON.stringify({ ...process.memoryUsage(), spaces })}\n`)
    appendFileSync(out, 'done\n')
  })
}
