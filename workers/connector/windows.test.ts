import { expect, test } from "bun:test";
import { chunkWindow, isIsoDate, lookbackWindow, todayIn } from "./windows.ts";

test("windows are today − lookback .. today in the org's time zone", () => {
	const now = new Date("2026-11-28T03:00:00Z");
	expect(todayIn("America/New_York", now)).toBe("2026-11-27");
	expect(todayIn("Europe/Berlin", now)).toBe("2026-11-28");
	expect(lookbackWindow("America/New_York", 7, now)).toEqual({ from: "2026-11-20", to: "2026-11-27" });
	expect(lookbackWindow("Europe/Berlin", 28, now)).toEqual({ from: "2026-10-31", to: "2026-11-28" });
	expect(lookbackWindow("UTC", 0, now)).toEqual({ from: "2026-11-28", to: "2026-11-28" });
});

test("backfill chunks by days, the last one short", () => {
	expect(chunkWindow({ from: "2026-02-26", to: "2026-03-04" }, 3)).toEqual([
		{ from: "2026-02-26", to: "2026-02-28" },
		{ from: "2026-03-01", to: "2026-03-03" },
		{ from: "2026-03-04", to: "2026-03-04" },
	]);
	expect(isIsoDate("2026-02-29")).toBe(false);
	expect(isIsoDate("2028-02-29")).toBe(true);
});
