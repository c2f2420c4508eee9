/**
 * A lake writer process for the concurrency and crash tests. Appends
 * `commits` small batches to bronze.shared, one commit each, and prints one
 * JSON line with its attempt counts. With crashStep set it sends
 * itself SIGKILL at that commit step (crash tests).
 *
 * argv: <config JSON> (WriterConfig below).
 */
import type { CommitStep } from "../../lib/lake/index.ts";
import { openTestLake } from "./lake.ts";

interface WriterConfig {
	dir: string;
	id: string;
	sqlitePath?: string;
	postgresUrl?: string;
	writer: number;
	commits: number;
	rowsPerCommit: number;
	/** Kill this process (SIGKILL) when commit number `crashCommit` reaches `crashStep`. */
	crashStep?: CommitStep | "writing";
	crashCommit?: number;
	/** With crashStep "writing": milliseconds after the append starts. */
	crashDelayMs?: number;
	/** Table in the bronze layer; default "shared". */
	table?: string;
}

const config = JSON.parse(process.argv[2] ?? "{}") as WriterConfig;
let commitNumber = 0;
const die = (step: string) => {
	if (config.crashStep === step && commitNumber === config.crashCommit) process.kill(process.pid, "SIGKILL");
};
const run = await openTestLake({
	dir: config.dir,
	id: config.id,
	sqlitePath: config.sqlitePath,
	postgresUrl: config.postgresUrl,
	extra: { onCommitStep: (step) => die(step) },
});
const table = await run.lake.loadTable("bronze", config.table ?? "shared");
const attempts: number[] = [];
for (let c = 0; c < config.commits; c++) {
	commitNumber = c;
	const rows = Array.from({ length: config.rowsPerCommit }, (_, i) => ({
		org_id: `org${(config.writer + c) % 2}`,
		report_date: `2026-01-0${1 + (c % 3)}`,
		row_id: `${config.writer}-${c}-${i}`,
		writer: config.writer,
	}));
	if (config.crashStep === "writing" && c === config.crashCommit) {
		// Dies while DuckDB writes and files are uploaded, before any commit step.
		setTimeout(() => process.kill(process.pid, "SIGKILL"), config.crashDelayMs ?? 5);
	}
	const result = await table.append({ rows });
	attempts.push(result.attempts);
}
await run.close();
process.stdout.write(`${JSON.stringify({ writer: config.writer, attempts })}\n`);
