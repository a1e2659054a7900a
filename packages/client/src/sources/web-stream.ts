/** A WHATWG ReadableStream of bytes (browsers, Node's web streams). */
import { StreamSource } from './stream.js'
import { readWebStream } from './web-stream-reader.js'

export function webStreamSource(stream: ReadableStream<Uint8Array>, size?: number): StreamSource {
  return new StreamSource(readWebStream(stream), size)
}
