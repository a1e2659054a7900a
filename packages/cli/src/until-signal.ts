/**
 * How the long-running commands (serve, gateway) end: on the first SIGINT or SIGTERM they log it, run `close` (stop
 * accepting, let running transfers persist, release shared resources), and exit 0, or 1 when closing failed.
 */
export function untilSignal(logger: { info(obj: object, msg: string): void }, close: () => Promise<unknown>) {
  return new Promise<number>((resolve) => {
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) return
      stopping = true
      logger.info({ signal }, 'shutting down')
      close().then(
        () => resolve(0),
        () => resolve(1),
      )
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
}
