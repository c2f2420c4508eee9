/**
 * The S3 adapter: the only file that imports the AWS SDK. The SDK already
 * retries retriable errors itself (standard mode, 3 attempts in all); a
 * policy retrying AdapterError.retriable on top multiplies with it.
 */
import {
	DeleteObjectCommand,
	GetObjectCommand,
	HeadObjectCommand,
	ListObjectsV2Command,
	type ListObjectsV2CommandOutput,
	S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { AdapterError, NotFoundError, ValidationError } from "../errors.ts";
import { assertValidKey, assertValidPrefix } from "./keys.ts";
import type { ObjectInfo, ObjectStore } from "./port.ts";

export interface S3Credentials {
	accessKeyId: string;
	secretAccessKey: string;
	sessionToken?: string;
}

export interface S3ObjectStoreOptions {
	/** URL of an S3-compatible server; default AWS S3 for the region. */
	endpoint?: string;
	/** Bucket holding the objects; it must exist. */
	bucket: string;
	/** Key prefix in the bucket ("/" appended); keys come back without it; default none. */
	prefix?: string;
	/** Default "us-east-1". */
	region?: string;
	/** Path-style URLs (http://host/bucket/key); default true when `endpoint` is set. */
	forcePathStyle?: boolean;
	/** Default: the SDK's provider chain (environment, profile, instance role). */
	credentials?: S3Credentials;
	/** Multipart part size in bytes; bodies up to this size go in one PUT; default 8 MiB, minimum 5 MiB. */
	partSizeBytes?: number;
	/** Keys per ListObjectsV2 request; default 1000 (S3's maximum). */
	listPageSize?: number;
}

const MIB = 1024 * 1024;
const MIN_PART_SIZE_BYTES = 5 * MIB; // S3's minimum for every part but the last
const THROTTLING = new Set([
	"SlowDown",
	"Throttling",
	"ThrottlingException",
	"TooManyRequests",
	"TooManyRequestsException",
	"RequestLimitExceeded",
	"RequestThrottled",
	"RequestTimeout",
	"TimeoutError",
]);
const NETWORK_CODES = new Set([
	"ECONNREFUSED",
	"ECONNRESET",
	"ECONNABORTED",
	"ETIMEDOUT",
	"EPIPE",
	"EAI_AGAIN",
	"EHOSTUNREACH",
	"ENETUNREACH",
	"ConnectionRefused",
	"ConnectionClosed",
]);

interface SdkError {
	name?: string;
	code?: string;
	message?: string;
	$retryable?: unknown;
	$metadata?: { httpStatusCode?: number };
}

function statusOf(error: unknown): number | undefined {
	return (error as SdkError | null)?.$metadata?.httpStatusCode;
}

/** An ObjectStore on one bucket (and optional prefix) of S3 or any S3-compatible server. */
export function createS3ObjectStore(options: S3ObjectStoreOptions): ObjectStore {
	const { bucket, endpoint } = options;
	const partSizeBytes = options.partSizeBytes ?? 8 * MIB;
	const listPageSize = options.listPageSize ?? 1000;
	if (!bucket) throw new ValidationError("S3 object store needs a bucket", { context: { option: "bucket" } });
	if (!(partSizeBytes >= MIN_PART_SIZE_BYTES)) {
		throw new ValidationError(`partSizeBytes must be at least ${MIN_PART_SIZE_BYTES}`, { context: { partSizeBytes } });
	}
	if (!Number.isInteger(listPageSize) || listPageSize < 1 || listPageSize > 1000) {
		throw new ValidationError("listPageSize must be an integer from 1 to 1000", { context: { listPageSize } });
	}
	const rawPrefix = options.prefix ?? "";
	assertValidPrefix(rawPrefix);
	const base = rawPrefix === "" || rawPrefix.endsWith("/") ? rawPrefix : `${rawPrefix}/`;

	const client = new S3Client({
		region: options.region ?? "us-east-1",
		endpoint,
		forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
		credentials: options.credentials,
		// Since SDK 3.729 every PUT carries a CRC32 checksum header by default,
		// which many S3-compatible servers reject or mishandle; AWS itself keeps
		// the SDK's default.
		...(endpoint === undefined
			? {}
			: { requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" }),
	});

	function fullKey(key: string): string {
		assertValidKey(key);
		return base + key;
	}

	function toError(error: unknown, operation: string, key: string): Error {
		const e = (error ?? {}) as SdkError;
		const name = e.name ?? "Error";
		// Service errors name themselves (NoSuchBucket); network errors are a plain Error with a code.
		const code = name === "Error" && e.code ? e.code : name;
		const context = { bucket, prefix: base, key, operation, status: statusOf(error), code };
		if (name === "NoSuchKey") {
			return new NotFoundError(`No object ${JSON.stringify(key)} in s3://${bucket}/${base}`, { cause: error, context });
		}
		const status = statusOf(error) ?? 0;
		const retriable =
			status >= 500 ||
			status === 429 ||
			THROTTLING.has(name) ||
			NETWORK_CODES.has(e.code ?? "") ||
			NETWORK_CODES.has(name) ||
			Boolean(e.$retryable);
		return new AdapterError(
			`S3 ${operation} of ${JSON.stringify(key)} in bucket ${bucket} failed: ${code}: ${e.message ?? ""}`,
			{
				cause: error,
				retriable,
				context,
			},
		);
	}

	async function head(key: string): Promise<ObjectInfo | null> {
		const Key = fullKey(key);
		try {
			const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key }));
			return { key, size: out.ContentLength ?? 0, lastModified: out.LastModified ?? new Date(0), etag: out.ETag };
		} catch (error) {
			// HEAD has no error body: a missing key is a bare 404 ("NotFound").
			if (statusOf(error) === 404) return null;
			throw toError(error, "head", key);
		}
	}

	async function getBody(key: string, operation: string) {
		const Key = fullKey(key);
		try {
			const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
			if (!out.Body) throw new Error("response has no body");
			return out.Body;
		} catch (error) {
			throw toError(error, operation, key);
		}
	}

	async function* list(prefix: string): AsyncGenerator<ObjectInfo> {
		assertValidPrefix(prefix); // inside the generator: a bad prefix rejects the iteration
		let token: string | undefined;
		do {
			let page: ListObjectsV2CommandOutput;
			try {
				page = await client.send(
					new ListObjectsV2Command({
						Bucket: bucket,
						Prefix: base + prefix,
						ContinuationToken: token,
						MaxKeys: listPageSize,
					}),
				);
			} catch (error) {
				throw toError(error, "list", prefix);
			}
			for (const object of page.Contents ?? []) {
				if (!object.Key?.startsWith(base)) continue;
				yield {
					key: object.Key.slice(base.length),
					size: object.Size ?? 0,
					lastModified: object.LastModified ?? new Date(0),
					etag: object.ETag,
				};
			}
			token = page.IsTruncated ? page.NextContinuationToken : undefined;
		} while (token);
	}

	return {
		async put(key, body, putOptions) {
			const Key = fullKey(key);
			try {
				// Upload sends one PutObject for bodies up to partSize and a multipart
				// upload beyond, aborting the parts if anything fails.
				const upload = new Upload({
					client,
					params: { Bucket: bucket, Key, Body: body, ContentType: putOptions?.contentType },
					partSize: partSizeBytes,
					leavePartsOnError: false,
				});
				await upload.done();
			} catch (error) {
				throw toError(error, "put", key);
			}
			const written = await head(key);
			if (!written) {
				throw new AdapterError(`S3 put of ${JSON.stringify(key)}: object not visible right after upload`, {
					retriable: true,
					context: { bucket, prefix: base, key, operation: "put" },
				});
			}
			return written;
		},

		async get(key) {
			const body = await getBody(key, "get");
			return body.transformToWebStream() as ReadableStream<Uint8Array>;
		},

		async getBytes(key) {
			const body = await getBody(key, "getBytes");
			try {
				return await body.transformToByteArray();
			} catch (error) {
				throw toError(error, "getBytes", key);
			}
		},

		head,

		list,

		async delete(key) {
			const Key = fullKey(key);
			try {
				// S3 answers 204 for a missing key too, so absent is not an error.
				await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
			} catch (error) {
				if ((error as SdkError | null)?.name === "NoSuchKey") return;
				throw toError(error, "delete", key);
			}
		},

		async close() {
			client.destroy();
		},
	};
}
