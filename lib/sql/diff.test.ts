import { expect, test } from "bun:test";
import { diffRows, formatDiff } from "./diff.ts";

test("rows are matched on the grain key and counted per partition as added, removed, changed", () => {
	const before = [
		{ org_id: "a", date: "2026-11-01", li: "1", spend: "10.00" },
		{ org_id: "a", date: "2026-11-01", li: "2", spend: "5.00" },
		{ org_id: "a", date: "2026-11-02", li: "1", spend: "7.00" },
		{ org_id: "b", date: "2026-11-01", li: "9", spend: "1.00" },
	];
	const after = [
		{ org_id: "a", date: "2026-11-01", li: "1", spend: "10.00" },
		{ org_id: "a", date: "2026-11-01", li: "2", spend: "5.50" },
		{ org_id: "a", date: "2026-11-02", li: "3", spend: "2.00" },
		{ org_id: "b", date: "2026-11-01", li: "9", spend: "1.00" },
	];
	const diff = diffRows(before, after, { key: ["org_id", "date", "li"], partitionBy: ["org_id", "date"] });
	expect(diff.totals).toEqual({ added: 1, removed: 1, changed: 1, unchanged: 2 });
	expect(diff.partitions.map((p) => [p.partition, p.added, p.removed, p.changed, p.unchanged])).toEqual([
		["org_id=a/date=2026-11-01", 0, 0, 1, 1],
		["org_id=a/date=2026-11-02", 1, 1, 0, 0],
		["org_id=b/date=2026-11-01", 0, 0, 0, 1],
	]);
	const text = formatDiff(diff);
	expect(text).toContain('~ ["a","2026-11-01","2"]: spend 5.00 -> 5.50');
	expect(text).toContain("+ org_id=a date=2026-11-02 li=3 spend=2.00");
	expect(text).toContain("- org_id=a date=2026-11-02 li=1 spend=7.00");
	expect(text).not.toContain("org_id=b");
	expect(text).toEndWith("total: 1 added, 1 removed, 1 changed, 2 unchanged");
});
