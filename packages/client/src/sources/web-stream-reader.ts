/** Reads a WHATWG ReadableStream as an async iterator (reader-based: works where streams are not async-iterable). */
export async function* readWebStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      if (value.byteLength) yield value
    }
  } finally {
    reader.releaseLock()
  }
}
