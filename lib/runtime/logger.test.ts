import { expect, test } from "bun:test";
import { PacerError } from "../errors.ts";
import { createLogger } from "./logger.ts";

test("logs are JSON lines with level filtering, child fields and described errors", () => {
	const lines: string[] = [];
	const logger = createLogger({ level: "info", fields: { worker: "bronze" }, write: (l) => lines.push(l) });
	logger.debug("hidden");
	const traced = logger.child({ trace_id: "0af7651916cd43dd8448eb211c80319c" });
	traced.warn("retrying", {
		error: new PacerError("broker away", { retriable: true, context: { broker: "k1" } }),
		offset: 12n,
	});
	expect(lines).toHaveLength(1);
	const line = JSON.parse(lines[0] ?? "");
	expect(line).toMatchObject({
		level: "warn",
		msg: "retrying",
		worker: "bronze",
		trace_id: "0af7651916cd43dd8448eb211c80319c",
		offset: "12",
		error: { name: "PacerError", message: "broker away", retriable: true, context: { broker: "k1" } },
	});
	expect(lines[0]?.endsWith("\n")).toBe(true);
});
