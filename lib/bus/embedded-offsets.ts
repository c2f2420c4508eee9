import {
	closeSync,
	fsyncSync,
	mkdirSync,
	openSync,
	readdirSync,
	readFileSync,
	renameSync,
	statSync,
	writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { AdapterError } from "../errors.ts";

/** Committed offsets of one consumer group: topic -> partition -> next offset to read. */
export type GroupOffsets = Map<string, Map<number, number>>;

interface OffsetsFile {
	v: 1;
	group: string;
	offsets: Record<string, Record<string, number>>;
}

/**
 * Committed offsets on disk, one JSON file per group, replaced atomically
 * (write a temp file, rename over) so a crash leaves the old or the new
 * commit, never a mix.
 */
export class OffsetStore {
	private readonly dir: string;

	constructor(
		root: string,
		private readonly fsync: boolean,
	) {
		this.dir = join(root, "groups");
		mkdirSync(this.dir, { recursive: true });
	}

	load(groupId: string): GroupOffsets {
		let text: string;
		try {
			text = readFileSync(this.fileOf(groupId), "utf8");
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === "ENOENT") return new Map();
			throw new AdapterError(`embedded bus: cannot read offsets of group ${groupId}`, { cause: error });
		}
		return parseOffsets(text);
	}

	/** The committed offsets of every group whose last commit is not older than `since` (epoch ms). */
	loadAll(since: number): GroupOffsets[] {
		const all: GroupOffsets[] = [];
		for (const name of readdirSync(this.dir)) {
			if (!name.startsWith("g-") || !name.endsWith(".json")) continue;
			const path = join(this.dir, name);
			try {
				if (statSync(path).mtimeMs < since) continue;
				all.push(parseOffsets(readFileSync(path, "utf8")));
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
			}
		}
		return all;
	}

	save(groupId: string, offsets: GroupOffsets): void {
		const file: OffsetsFile = { v: 1, group: groupId, offsets: {} };
		for (const [topic, partitions] of offsets) file.offsets[topic] = Object.fromEntries(partitions);
		const path = this.fileOf(groupId);
		const temp = `${path}.tmp`;
		writeFileSync(temp, JSON.stringify(file));
		if (this.fsync) syncPath(temp);
		renameSync(temp, path);
		if (this.fsync) syncPath(this.dir);
	}

	private fileOf(groupId: string): string {
		const encoded = encodeURIComponent(groupId);
		// File names stop at 255 bytes; a very long group id is named by its hash instead.
		const name =
			encoded.length <= 200 ? encoded : `sha256-${new Bun.CryptoHasher("sha256").update(groupId).digest("hex")}`;
		return join(this.dir, `g-${name}.json`);
	}
}

function parseOffsets(text: string): GroupOffsets {
	const offsets: GroupOffsets = new Map();
	const file = JSON.parse(text) as OffsetsFile;
	for (const [topic, partitions] of Object.entries(file.offsets)) {
		offsets.set(topic, new Map(Object.entries(partitions).map(([p, offset]) => [Number(p), offset])));
	}
	return offsets;
}

/** fsync a file or directory by path. */
export function syncPath(path: string): void {
	const fd = openSync(path, "r");
	try {
		fsyncSync(fd);
	} finally {
		closeSync(fd);
	}
}
