/**
 * Google Sheets serial dates (dateTimeRenderOption=SERIAL_NUMBER): days since
 * 1899-12-30, the fractional part being the time of day. The odd epoch is
 * Lotus 1-2-3's, kept by every spreadsheet: it absorbs the fictitious
 * 1900-02-29, so serials after February 1900 count real days.
 */
const EPOCH_MS = Date.UTC(1899, 11, 30);
const DAY_MS = 86_400_000;

/** The ISO date (YYYY-MM-DD) of a serial date; the time of day is dropped. Throws on a non-finite number. */
export function serialToIsoDate(serial: number): string {
	if (!Number.isFinite(serial)) throw new RangeError(`not a serial date: ${serial}`);
	return new Date(EPOCH_MS + Math.floor(serial) * DAY_MS).toISOString().slice(0, 10);
}

/** The serial date of an ISO date (YYYY-MM-DD). */
export function isoDateToSerial(date: string): number {
	const ms = Date.parse(`${date}T00:00:00Z`);
	if (Number.isNaN(ms)) throw new RangeError(`not an ISO date: ${date}`);
	return Math.round((ms - EPOCH_MS) / DAY_MS);
}
