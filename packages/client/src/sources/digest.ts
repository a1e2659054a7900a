/** SHA-256 through Web Crypto (Node 20 and secure browser contexts); undefined where it is unavailable. */
export async function digestHex(data: Uint8Array): Promise<string | undefined> {
  const subtle = globalThis.crypto?.subtle
  if (!subtle) return undefined
  const d = new Uint8Array(await subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>))
  let hex = ''
  for (const b of d) hex += b.toString(16).padStart(2, '0')
  return hex
}
