import type { DateWindow } from "./source.ts";

/** Today's date (YYYY-MM-DD) in `timezone`. */
export function todayIn(timezone: string, now: Date): string {
	// en-CA formats as YYYY-MM-DD.
	return new Intl.DateTimeFormat("en-CA", {
		timeZone: timezone,
		year: "numeric",
		month: "2-digit",
		day: "2-digit",
	}).format(now);
}

/** `date` plus `days` (negative to go back), ISO dates. */
export function addDays(date: string, days: number): string {
	const d = new Date(`${date}T00:00:00Z`);
	d.setUTCDate(d.getUTCDate() + days);
	return d.toISOString().slice(0, 10);
}

/** The scheduled window: today − lookbackDays .. today, in the org's time zone. */
export function lookbackWindow(timezone: string, lookbackDays: number, now: Date): DateWindow {
	const to = todayIn(timezone, now);
	return { from: addDays(to, -lookbackDays), to };
}

/** Splits an inclusive window into consecutive chunks of at most `days` days (backfill). */
export function chunkWindow(window: DateWindow, days: number): DateWindow[] {
	const chunks: DateWindow[] = [];
	for (let from = window.from; from <= window.to; from = addDays(from, days)) {
		let to = addDays(from, days - 1);
		if (to > window.to) to = window.to;
		chunks.push({ from, to });
	}
	return chunks;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** True when `value` is a real calendar date written YYYY-MM-DD. */
export function isIsoDate(value: unknown): value is string {
	return (
		typeof value === "string" && ISO_DATE.test(value) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value)
	);
}
