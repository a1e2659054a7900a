/**
 * The client's own cost during a run: CPU time (user + system, from `process.cpuUsage`) and memory (RSS and V8 heap,
 * sampled every 200 ms; the peak is reported). When the server runs in the same process (tests), its cost is included.
 */

export interface ClientResources {
  cpuUserSeconds: number
  cpuSystemSeconds: number
  /** CPU time over wall time, in percent of one core. */
  cpuPercent: number
  rssStartBytes: number
  peakRssBytes: number
  peakHeapUsedBytes: number
}

export class ResourceSampler {
  private readonly cpu0 = process.cpuUsage()
  private readonly t0 = performance.now()
  private readonly rss0 = process.memoryUsage.rss()
  private peakRss = this.rss0
  private peakHeap = process.memoryUsage().heapUsed
  private readonly timer: NodeJS.Timeout

  constructor(intervalMs = 200) {
    this.timer = setInterval(() => this.sample(), intervalMs)
    this.timer.unref()
  }

  private sample(): void {
    const m = process.memoryUsage()
    this.peakRss = Math.max(this.peakRss, m.rss)
    this.peakHeap = Math.max(this.peakHeap, m.heapUsed)
  }

  stop(): ClientResources {
    clearInterval(this.timer)
    this.sample()
    const cpu = process.cpuUsage(this.cpu0)
    const wall = (performance.now() - this.t0) / 1000
    const user = cpu.user / 1e6
    const system = cpu.system / 1e6
    return {
      cpuUserSeconds: round(user),
      cpuSystemSeconds: round(system),
      cpuPercent: wall > 0 ? round(((user + system) / wall) * 100) : 0,
      rssStartBytes: this.rss0,
      peakRssBytes: this.peakRss,
      peakHeapUsedBytes: this.peakHeap,
    }
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000
}
