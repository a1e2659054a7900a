export { createS3Client, type S3ClientOptions } from './client.js'
export { type S3ErrorCode, S3StoreError } from './errors.js'
export { Layout } from './layout.js'
export { S3Store, type S3StoreOptions } from './s3-store.js'
