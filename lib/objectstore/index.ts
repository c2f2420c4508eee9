export { assertValidKey, assertValidPrefix, compareKeys, MAX_KEY_BYTES } from "./keys.ts";
export { createLocalObjectStore, type LocalObjectStoreOptions } from "./local.ts";
export type { ObjectBody, ObjectInfo, ObjectStore, PutOptions } from "./port.ts";
export { createS3ObjectStore, type S3Credentials, type S3ObjectStoreOptions } from "./s3.ts";
