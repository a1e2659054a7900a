/**
 * The disk store's append loop for a body that pushes its chunks (push-body.ts): the same steps as its pulling loop
 * (disk-store.ts `writeStream`), driven by callbacks, so that a held upload's wait between chunks costs no object.
 */
import type { FileWriter } from './file-writer.js'
import type { PushBody } from './push-body.js'

/**
 * Feeds `writer` from `body` until the body is done, then waits for the writes in flight. Opens the file (`opened`)
 * when the first bytes arrive, taking no more than that chunk until it is open (as the pulling loop: bytes not taken
 * wait in the kernel's socket buffer, not in this process), and takes nothing more while `highWaterMark` bytes are
 * queued behind the write in flight. Rejects with what reading the body threw, or else the writer's failure; a
 * failure stops the body.
 */
export function appendPushed(
  body: PushBody,
  writer: FileWriter,
  opened: () => Promise<number>,
  highWaterMark: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let over = false
    let opening: Promise<void> | undefined
    const end = (error?: unknown) => {
      if (over) return
      over = true
      // Also when the body threw: what it passed on is stored. First an open still pending (a body may end while its
      // first chunk waits for the file), then the writes in flight: none may run on the descriptor once the caller
      // has closed it (a closed descriptor's number is reused by the next open).
      void Promise.resolve(opening)
        .then(() => writer.settled())
        .then(() => {
          const failure = error ?? writer.failure
          if (failure === undefined) resolve()
          else reject(failure)
        })
    }
    // As a pulling loop that stops early: the body is told (`return`), and says nothing more.
    const stop = () => {
      void body.return()
      end()
    }
    // Run from a promise callback: what it throws must end the append, not become an unhandled rejection.
    const goOn = (): void => {
      if (over) return
      try {
        if (writer.failure !== undefined) stop()
        else if (writer.queued >= highWaterMark) void writer.moved().then(goOn)
        else body.resume()
      } catch (e) {
        writer.fail(e)
        stop()
      }
    }
    body.pushTo({
      take(chunk) {
        if (writer.failure !== undefined) {
          stop()
          return false
        }
        if (chunk.byteLength > 0) writer.push(chunk)
        if (!writer.isOpen && writer.queued > 0) {
          opening = opened()
            .then((fd) => writer.open(fd))
            .then(goOn, (e: unknown) => {
              writer.fail(e)
              goOn()
            })
          return false
        }
        if (writer.queued < highWaterMark) return true
        void writer.moved().then(goOn)
        return false
      },
      done: end,
    })
  })
}
