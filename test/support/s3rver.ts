import { createRequire } from "node:module";
import { testNamespace } from "./namespace.ts";

export interface S3TestStore {
	endpoint: string;
	bucket: string;
	/** undefined for a real store: the SDK's provider chain then finds them. */
	credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
	stop(): Promise<void>;
}

const BUCKET = "pacer-test";
// s3rver checks SigV4 signatures against these fixed credentials.
const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

// Why a child process under node and not s3rver in Bun's process: s3rver
// encrypts ListObjectsV2 continuation tokens with DES. Bun's crypto (BoringSSL)
// has no DES ("Unknown cipher", so every truncated listing is a 500), and
// node 20's OpenSSL 3 keeps DES in its legacy provider, hence
// --openssl-legacy-provider. Node's readdir is also sorted, which s3rver's
// listing order relies on. The child exits when its stdin closes, so it never
// outlives a test process that dies without calling stop().
const CHILD = `
const [s3rverPath, directory, bucket] = process.argv.slice(1);
const S3rver = require(s3rverPath);
const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
server.run().then(({ port }) => process.stdout.write(JSON.stringify({ port }) + "\\n"), (error) => { console.error(error); process.exit(1); });
const stop = () => server.close().finally(() => process.exit(0));
process.stdin.on("end", stop);
process.stdin.resume();
process.on("SIGTERM", stop);
`;

/** Why the s3rver suites cannot run here, or null when they can (node and s3rver found, or S3_ENDPOINT set). */
export function s3rverMissingReason(): string | null {
	if (process.env.S3_ENDPOINT) return null;
	if (!Bun.which("node")) return "node is not on PATH (s3rver runs under node)";
	try {
		resolveS3rver();
	} catch {
		return "the s3rver package is not installed (npm ci)";
	}
	return null;
}

function resolveS3rver(): string {
	return createRequire(import.meta.url).resolve("s3rver");
}

/**
 * Starts s3rver on 127.0.0.1 on a free port, with a private temp directory and
 * one bucket. With S3_ENDPOINT and S3_BUCKET set, returns that store instead
 * (credentials from the usual AWS variables) and stop() leaves it alone.
 */
export async function startS3rver(): Promise<S3TestStore> {
	const endpoint = process.env.S3_ENDPOINT;
	if (endpoint) {
		const bucket = process.env.S3_BUCKET;
		if (!bucket) throw new Error("S3_ENDPOINT is set but S3_BUCKET is not");
		return { endpoint, bucket, credentials: undefined, stop: async () => {} };
	}

	const namespace = testNamespace("s3rver");
	const child = Bun.spawn(["node", "--openssl-legacy-provider", "-e", CHILD, resolveS3rver(), namespace.dir, BUCKET], {
		stdin: "pipe",
		stdout: "pipe",
		stderr: "pipe",
	});
	const stop = async () => {
		child.kill("SIGTERM");
		await child.exited;
		namespace.cleanup();
	};
	try {
		const port = await readPort(child.stdout, child.exited);
		return { endpoint: `http://127.0.0.1:${port}`, bucket: BUCKET, credentials: S3RVER_CREDENTIALS, stop };
	} catch (error) {
		await stop();
		const stderr = await new Response(child.stderr).text();
		throw new Error(`s3rver did not start: ${String(error)}\n${stderr}`);
	}
}

// The child writes one JSON line once it listens; exiting first means it failed.
async function readPort(stdout: ReadableStream<Uint8Array>, exited: Promise<number>): Promise<number> {
	const reader = stdout.getReader();
	const decoder = new TextDecoder();
	let text = "";
	const exit = exited.then((code) => {
		throw new Error(`exited with code ${code}`);
	});
	try {
		while (!text.includes("\n")) {
			const { done, value } = await Promise.race([reader.read(), exit]);
			if (done) throw new Error("closed its output before listening");
			text += decoder.decode(value, { stream: true });
		}
	} finally {
		reader.releaseLock();
	}
	const { port } = JSON.parse(text.slice(0, text.indexOf("\n"))) as { port: number };
	return port;
}
