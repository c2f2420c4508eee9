/**
 * What a changed transform would change: the rows of the output before and
 * after, matched on the model's grain key, counted per partition as added,
 * removed and changed, with a few examples of each (the changed ones with the
 * columns that differ). This is the review aid of `bun run sql:plan`.
 */
export interface PartitionDiff {
	partition: string;
	added: number;
	removed: number;
	changed: number;
	unchanged: number;
	examples: string[];
}

export interface RelationDiff {
	partitions: PartitionDiff[];
	totals: { added: number; removed: number; changed: number; unchanged: number };
}

type Row = Record<string, unknown>;

export function diffRows(
	before: readonly Row[],
	after: readonly Row[],
	options: { key: readonly string[]; partitionBy: readonly string[]; examplesPerPartition?: number },
): RelationDiff {
	const maxExamples = options.examplesPerPartition ?? 3;
	const keyOf = (row: Row) => JSON.stringify(options.key.map((k) => text(row[k])));
	const partitionOf = (row: Row) => options.partitionBy.map((p) => `${p}=${text(row[p])}`).join("/") || "(all)";
	const old = new Map<string, Row>();
	for (const row of before) old.set(keyOf(row), row);
	const parts = new Map<string, PartitionDiff>();
	const part = (name: string) => {
		let p = parts.get(name);
		if (!p) {
			p = { partition: name, added: 0, removed: 0, changed: 0, unchanged: 0, examples: [] };
			parts.set(name, p);
		}
		return p;
	};
	const example = (p: PartitionDiff, line: string) => {
		if (p.examples.length < maxExamples) p.examples.push(line);
	};
	for (const row of after) {
		const key = keyOf(row);
		const previous = old.get(key);
		const p = part(partitionOf(row));
		if (!previous) {
			p.added++;
			example(p, `+ ${describe(row)}`);
			continue;
		}
		old.delete(key);
		const changed = Object.keys({ ...previous, ...row }).filter((c) => text(previous[c]) !== text(row[c]));
		if (changed.length === 0) p.unchanged++;
		else {
			p.changed++;
			example(p, `~ ${key}: ${changed.map((c) => `${c} ${text(previous[c])} -> ${text(row[c])}`).join(", ")}`);
		}
	}
	for (const row of old.values()) {
		const p = part(partitionOf(row));
		p.removed++;
		example(p, `- ${describe(row)}`);
	}
	const partitions = [...parts.values()].sort((a, b) => a.partition.localeCompare(b.partition));
	const totals = { added: 0, removed: 0, changed: 0, unchanged: 0 };
	for (const p of partitions) {
		totals.added += p.added;
		totals.removed += p.removed;
		totals.changed += p.changed;
		totals.unchanged += p.unchanged;
	}
	return { partitions, totals };
}

/** The diff as the text sql:plan prints: only partitions with changes, then totals. */
export function formatDiff(diff: RelationDiff): string {
	const lines: string[] = [];
	for (const p of diff.partitions) {
		if (p.added + p.removed + p.changed === 0) continue;
		lines.push(`${p.partition}: +${p.added} -${p.removed} ~${p.changed} (=${p.unchanged})`);
		for (const e of p.examples) lines.push(`    ${e}`);
	}
	const t = diff.totals;
	lines.push(`total: ${t.added} added, ${t.removed} removed, ${t.changed} changed, ${t.unchanged} unchanged`);
	return lines.join("\n");
}

function text(value: unknown): string {
	if (value === null || value === undefined) return "null";
	if (typeof value === "object") return JSON.stringify(value);
	return String(value);
}

function describe(row: Row): string {
	return Object.entries(row)
		.map(([k, v]) => `${k}=${text(v)}`)
		.join(" ");
}
