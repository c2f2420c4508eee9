import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ValidationError } from "../errors.ts";
import { type Model, parseModel, referencedRelations } from "./model.ts";

/** Every model of a SQL folder tree, validated together and ordered by their inputs. */
export interface SqlProject {
	readonly models: readonly Model[];
	/** Models in an order where every model comes after the models it reads. */
	readonly order: readonly Model[];
	get(name: string): Model;
	/** Models that read `name`, directly. */
	consumers(name: string): Model[];
}

/**
 * Loads every `*.sql` model under `root` (e.g. `sql/`), excluding data tests
 * (`*.assert.sql`). Rejects, all at once: unparsable headers, two files
 * claiming one output, a body that reads a relation not in its inputs (or an
 * input it never reads), an input that is neither another model nor a
 * declared source relation, and cycles.
 */
export function loadProject(root: string, options: { sources?: readonly string[] } = {}): SqlProject {
	const files = listSqlFiles(root);
	const problems: string[] = [];
	const models: Model[] = [];
	for (const file of files) {
		try {
			models.push(parseModel(relative(process.cwd(), file), readFileSync(file, "utf8")));
		} catch (error) {
			problems.push((error as Error).message);
		}
	}
	const byName = new Map<string, Model>();
	for (const model of models) {
		const other = byName.get(model.name);
		if (other) problems.push(`${model.path}: output ${model.name} is already produced by ${other.path}`);
		else byName.set(model.name, model);
	}
	const sources = new Set(options.sources ?? []);
	for (const model of models) {
		const read = referencedRelations(model.body).filter((r) => r !== model.name);
		const undeclared = read.filter((r) => !model.inputs.includes(r));
		if (undeclared.length > 0)
			problems.push(`${model.path}: reads ${undeclared.join(", ")} not declared in "-- inputs:"`);
		const unused = model.inputs.filter((input) => !read.includes(input));
		if (unused.length > 0) problems.push(`${model.path}: declares inputs it never reads: ${unused.join(", ")}`);
		for (const input of model.inputs) {
			if (!byName.has(input) && !sources.has(input)) {
				problems.push(`${model.path}: input ${input} is neither a model nor a source relation`);
			}
		}
	}
	const order = problems.length === 0 ? topologicalOrder(models, byName, problems) : [];
	if (problems.length > 0) {
		throw new ValidationError(`SQL project ${root} has problems:\n${problems.join("\n")}`, { context: { problems } });
	}
	return {
		models,
		order,
		get(name) {
			const model = byName.get(name);
			if (!model) throw new ValidationError(`no model named ${name}`);
			return model;
		},
		consumers: (name) => models.filter((m) => m.inputs.includes(name)),
	};
}

function topologicalOrder(models: Model[], byName: Map<string, Model>, problems: string[]): Model[] {
	const order: Model[] = [];
	const state = new Map<string, "visiting" | "done">();
	const visit = (model: Model, path: string[]) => {
		if (state.get(model.name) === "done") return;
		if (state.get(model.name) === "visiting") {
			problems.push(`cycle: ${[...path, model.name].join(" -> ")}`);
			return;
		}
		state.set(model.name, "visiting");
		for (const input of model.inputs) {
			const dependency = byName.get(input);
			if (dependency) visit(dependency, [...path, model.name]);
		}
		state.set(model.name, "done");
		order.push(model);
	};
	for (const model of [...models].sort((a, b) => a.name.localeCompare(b.name))) visit(model, []);
	return order;
}

function listSqlFiles(root: string): string[] {
	const out: string[] = [];
	const walk = (dir: string) => {
		for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
			const path = join(dir, entry.name);
			if (entry.isDirectory()) {
				if (entry.name !== "migrations") walk(path);
			} else if (entry.name.endsWith(".sql") && !entry.name.endsWith(".assert.sql")) out.push(path);
		}
	};
	walk(root);
	return out;
}
