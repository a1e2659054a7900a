/** A Node `Readable` (stdin, a pipe, a transform output…). Strings are taken as UTF-8. */
import type { Readable } from 'node:stream'
import { StreamSource } from './stream.js'

async function* bytesOf(readable: Readable): AsyncGenerator<Uint8Array> {
  for await (const chunk of readable as AsyncIterable<unknown>) {
    if (chunk instanceof Uint8Array) yield chunk
    else if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8')
    else throw new TypeError('a Readable source must produce bytes or strings')
  }
}

export function nodeStreamSource(readable: Readable, size?: number): StreamSource {
  return new StreamSource(bytesOf(readable), size)
}
