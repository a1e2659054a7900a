/** Failures of the S3 store's setup, with stable codes and messages that say what to fix. */
export type S3ErrorCode =
  | 'ERR_S3_NO_BUCKET'
  | 'ERR_S3_ACCESS_DENIED'
  | 'ERR_S3_NO_CREDENTIALS'
  | 'ERR_S3_UNREACHABLE'
  | 'ERR_S3_BAD_ID'

export class S3StoreError extends Error {
  constructor(
    readonly code: S3ErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'S3StoreError'
  }
}

/** Turns the SDK's answer to HeadBucket into what an operator needs to read. */
export function explain(e: unknown, bucket: string): S3StoreError {
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } }
  const status = err?.$metadata?.httpStatusCode
  if (status === 404 || err?.name === 'NotFound' || err?.name === 'NoSuchBucket')
    return new S3StoreError('ERR_S3_NO_BUCKET', `S3 bucket '${bucket}' does not exist`, { cause: e })
  if (status === 403 || status === 401)
    return new S3StoreError(
      'ERR_S3_ACCESS_DENIED',
      `S3 refused the credentials for bucket '${bucket}' (HTTP ${status}): check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the profile`,
      { cause: e },
    )
  if (err?.name === 'CredentialsProviderError')
    return new S3StoreError(
      'ERR_S3_NO_CREDENTIALS',
      `no S3 credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) (${err.message})`,
      { cause: e },
    )
  return new S3StoreError('ERR_S3_UNREACHABLE', `cannot use S3 bucket '${bucket}': ${err?.message ?? String(e)}`, {
    cause: e,
  })
}
