/**
 * Frees a body chunk's memory as soon as it is stored, instead of when the garbage collector next finds it dead.
 *
 * Node's HTTP/1.1 parser copies every body chunk into a buffer of its own (`Buffer::Copy` in its `on_body`), and that
 * memory goes back only when V8 collects the chunk's `Buffer`. V8 starts a collection for such memory late (tens of
 * MiB of it), so a server holding many uploads carries every chunk received since the last collection: at 1,000 held
 * uploads that was most of what rufh's RSS carried over a bare piping server (issue 17, docs/benchmarks.md).
 *
 * Transferring the chunk's ArrayBuffer detaches it and hands its memory to the receiver; a port that is closed
 * receives nothing, so the memory is freed there and then (about 1 µs, measured). `ArrayBuffer.prototype.transfer`
 * does the same directly on Node 21 and later.
 *
 * Only for chunks nothing else refers to: after this, every view of the buffer reads as empty. The caller knows that
 * (AppendOptions.release); this checks only that the chunk is its buffer's one whole view.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads'

/** `ArrayBuffer.prototype.transfer` exists from Node 21 on. */
type WithTransfer = ArrayBuffer & { transfer?: (length: number) => ArrayBuffer }

let closed: MessagePort | undefined

function closedPort(): MessagePort {
  if (!closed) {
    const { port1, port2 } = new MessageChannel()
    port1.close()
    port2.close()
    closed = port1
  }
  return closed
}

/** Frees `chunk`'s memory if it is the whole of an ArrayBuffer of its own; otherwise leaves it to the collector. */
export function releaseChunk(chunk: Uint8Array): void {
  const buffer = chunk.buffer as WithTransfer
  if (!(buffer instanceof ArrayBuffer) || chunk.byteOffset !== 0 || chunk.byteLength !== buffer.byteLength) return
  if (chunk.byteLength === 0) return // nothing to free
  if (typeof buffer.transfer === 'function') buffer.transfer(0)
  else closedPort().postMessage(undefined, [buffer])
}
