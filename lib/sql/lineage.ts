import type { SqlProject } from "./project.ts";

/** Upstream (what a model reads, transitively) and downstream (what reads it) as indented text. */
export function describeLineage(project: SqlProject, name: string): string {
	const model = project.get(name);
	const lines = [
		`${model.name}  (${model.path}, ${model.fileVersion}, ${model.engine})`,
		`  grain: ${model.grain}`,
		"  inputs:",
	];
	const up = (input: string, depth: number, seen: Set<string>) => {
		const known = project.models.find((m) => m.name === input);
		lines.push(`${"  ".repeat(depth + 2)}${input}${known ? `  (${known.path})` : "  (source)"}`);
		if (!known || seen.has(input)) return;
		seen.add(input);
		for (const next of known.inputs) up(next, depth + 1, seen);
	};
	for (const input of model.inputs) up(input, 0, new Set());
	lines.push("  outputs:");
	const down = (from: string, depth: number, seen: Set<string>) => {
		for (const consumer of project.consumers(from)) {
			lines.push(`${"  ".repeat(depth + 2)}${consumer.name}  (${consumer.path})`);
			if (!seen.has(consumer.name)) {
				seen.add(consumer.name);
				down(consumer.name, depth + 1, seen);
			}
		}
	};
	down(model.name, 0, new Set());
	if (project.consumers(model.name).length === 0) lines.push("    (none)");
	return lines.join("\n");
}
