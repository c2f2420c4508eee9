import { expect, test } from "bun:test";
import { decodeAvro, encodeAvro } from "./avro.ts";
import { MANIFEST_FILE_SCHEMA } from "./manifest-schemas.ts";

const LONGS = { type: "record", name: "r", fields: [{ name: "a", type: "long" }] };

test("longs round-trip exactly, as numbers when safe and bigint beyond 2^53", async () => {
	const values = [0, -1, 2 ** 31, -(2 ** 48), Number.MAX_SAFE_INTEGER, 9223372036854775807n, -9223372036854775808n];
	const bytes = await encodeAvro(
		LONGS,
		values.map((a) => ({ a })),
		{},
	);
	const { records } = await decodeAvro<{ a: number | bigint }>(bytes);
	expect(records.map((r) => r.a)).toEqual(values);
	await expect(encodeAvro(LONGS, [{ a: "x" }], {})).rejects.toThrow(/long/);
});

test("the header keeps our keys and the schema verbatim, field ids included", async () => {
	const bytes = await encodeAvro(MANIFEST_FILE_SCHEMA, [], { "format-version": "2", "snapshot-id": "7" });
	const { metadata, records } = await decodeAvro(bytes);
	expect(records).toEqual([]);
	expect(metadata["format-version"]).toBe("2");
	expect(metadata["avro.codec"]).toBe("deflate");
	expect(JSON.parse(metadata["avro.schema"] ?? "")).toEqual(MANIFEST_FILE_SCHEMA);
});
