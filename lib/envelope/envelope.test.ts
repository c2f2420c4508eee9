import { describe, expect, test } from "bun:test";
import { createEnvelope, EnvelopeError, newTraceId, parseEnvelope } from "./envelope.ts";

const raw = {
	org_id: "org-1",
	source: "meta",
	request_id: "req-1",
	connection_id: "conn-1",
	stream: "insights",
	window: { from: "2026-11-01", to: "2026-11-27" },
	body: {
		kind: "inline" as const,
		content_type: "application/json",
		data: { data: [{ impressions: "10" }] },
	},
};

function reasonOf(fn: () => unknown): string {
	try {
		fn();
	} catch (error) {
		expect(error).toBeInstanceOf(EnvelopeError);
		return (error as Error).message;
	}
	throw new Error("expected an EnvelopeError");
}

describe("envelope", () => {
	test("createEnvelope fills version, id, trace id and time, and parses back equal", () => {
		const envelope = createEnvelope("connector.data.raw", raw, () => new Date("2026-11-28T01:00:00Z"));
		expect(envelope.v).toBe(1);
		expect(envelope.trace_id).toMatch(/^[0-9a-f]{32}$/);
		expect(envelope.produced_at).toBe("2026-11-28T01:00:00.000Z");
		expect(parseEnvelope("connector.data.raw", JSON.stringify(envelope), "org-1")).toEqual(envelope);
	});

	test("a continued trace keeps its trace id", () => {
		const trace = newTraceId();
		const envelope = createEnvelope("gold.data.ready", {
			org_id: "o",
			source: "gold",
			tables: ["fct_delivery_daily"],
			dates: ["2026-11-27"],
			trace_id: trace,
		});
		expect(envelope.trace_id).toBe(trace);
	});

	test("not JSON, wrong version, missing and malformed fields each give a reason", () => {
		expect(reasonOf(() => parseEnvelope("connector.data.raw", "{nope"))).toContain("not a JSON envelope");
		const ok = createEnvelope("connector.data.raw", raw);
		expect(reasonOf(() => parseEnvelope("connector.data.raw", JSON.stringify({ ...ok, v: 2 })))).toContain(
			"unsupported envelope version 2",
		);
		const { request_id: _, ...missing } = ok;
		expect(reasonOf(() => parseEnvelope("connector.data.raw", JSON.stringify(missing)))).toContain("request_id");
		const badWindow = {
			...ok,
			window: { from: "2026-11-30", to: "2026-11-01" },
		};
		expect(reasonOf(() => parseEnvelope("connector.data.raw", JSON.stringify(badWindow)))).toContain(
			"window.from must not be after",
		);
		const badTrace = { ...ok, trace_id: "xyz" };
		expect(reasonOf(() => parseEnvelope("connector.data.raw", JSON.stringify(badTrace)))).toContain("trace_id");
		expect(reasonOf(() => parseEnvelope("connector.data.raw", new Uint8Array([0xff, 0xfe])))).toContain(
			"not a JSON envelope",
		);
	});

	test("the key must be the org id", () => {
		const ok = createEnvelope("connector.data.raw", raw);
		expect(reasonOf(() => parseEnvelope("connector.data.raw", JSON.stringify(ok), "org-2"))).toContain(
			"differs from org_id",
		);
	});

	test("createEnvelope refuses to build an invalid envelope", () => {
		expect(() =>
			createEnvelope("gold.data.ready", {
				org_id: "",
				source: "gold",
				tables: [],
				dates: [],
			}),
		).toThrow(EnvelopeError);
	});

	test("object-store pointers are validated", () => {
		const pointer = createEnvelope("connector.data.raw", {
			...raw,
			body: {
				kind: "object",
				content_type: "text/csv",
				key: "raw/org-1/req-1.csv",
				size_bytes: 2_000_000,
				sha256: "a".repeat(64),
			},
		});
		expect(pointer.body.kind).toBe("object");
		expect(
			reasonOf(() =>
				parseEnvelope(
					"connector.data.raw",
					JSON.stringify({
						...pointer,
						body: { ...pointer.body, sha256: "zz" },
					}),
				),
			),
		).toContain("body.sha256");
	});
});
