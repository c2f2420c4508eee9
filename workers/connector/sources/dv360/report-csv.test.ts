import { describe, expect, test } from "bun:test";
import { EMPTY_REPORT_LINE, EXPECTED_HEADER, parseCsvRecord, splitReportCsv } from "./report-csv.ts";

// The documented shape (source-apis.md §1.2), written by hand rather than by our simulator.
const HEADER = EXPECTED_HEADER.join(",");
const DATA = [
	"2026/11/01,1234567,USD,111111111,222222222,333333333,1000,3,4.000000,5.000000,1",
	"2026/11/01,1234567,USD,111111111,222222222,333333334,2000,4,8.000000,10.000000,0",
	"2026/11/02,1234567,USD,111111111,222222222,333333333,500,1,2.000000,2.500000,0",
];
const TOTALS = ",,,,,,3500,8,14.000000,17.500000,1";
const FOOTER = [
	"Report Time:,2026/11/28 06:00 GMT",
	"Date Range:,2026/11/01 to 2026/11/02",
	"Group By:,Date",
	'MRC Accredited Metrics,"Active View metrics are accredited only when Measurement Source = Measured"',
	'"Reporting numbers from the previous month are finalized (for billing purposes) on the first of each month, unless communicated otherwise. Some numbers in reports may fluctuate for up to seven days before matching billing numbers."',
	"Filter by Partner ID:,995544",
];
const csv = (eol = "\n") => [HEADER, ...DATA, TOTALS, "", ...FOOTER].join(eol) + eol;

describe("DV360 report CSV", () => {
	test("counts data rows only: not the header, the totals row or the footer; one chunk is the body untouched", () => {
		const result = splitReportCsv(csv());
		expect(result).toEqual({ ok: true, empty: false, rows: 3, chunks: [{ body: csv(), rows: 3 }] });
	});

	test("CRLF line endings and a BOM parse the same", () => {
		const body = `\ufeff${csv("\r\n")}`;
		const result = splitReportCsv(body);
		expect(result.ok && result.rows).toBe(3);
		expect(result.ok && result.chunks[0]?.body).toBe(body);
	});

	test('the empty report ("No data returned by the reporting service.") is zero rows, kept as a page', () => {
		const body = `${EMPTY_REPORT_LINE}\n`;
		expect(splitReportCsv(body)).toEqual({ ok: true, empty: true, rows: 0, chunks: [{ body, rows: 0 }] });
	});

	test("an unexpected header is refused with a reason naming both headers", () => {
		const body = csv().replace("Impressions", "Impressions (beta)");
		const result = splitReportCsv(body);
		expect(result.ok).toBe(false);
		expect(!result.ok && result.reason).toContain("Impressions (beta)");
	});

	test("a body cut before the totals row and footer is refused", () => {
		const body = [HEADER, ...DATA].join("\n");
		expect(splitReportCsv(body).ok).toBe(false);
	});

	test("large reports are cut on record boundaries, header in every chunk, totals and footer in the last", () => {
		const many = Array.from({ length: 50 }, (_, i) => DATA[i % 3]);
		const body = [HEADER, ...many, TOTALS, "", ...FOOTER].join("\n");
		const result = splitReportCsv(body, 500);
		if (!result.ok) throw new Error(result.reason);
		expect(result.chunks.length).toBeGreaterThan(3);
		expect(result.rows).toBe(50);
		expect(result.chunks.reduce((n, c) => n + c.rows, 0)).toBe(50);
		const dataLines: string[] = [];
		for (const chunk of result.chunks) {
			const lines = chunk.body.split("\n");
			expect(lines[0]).toBe(HEADER);
			// Every chunk re-parses on its own to the rows it claims.
			const again = splitReportCsv(chunk === result.chunks.at(-1) ? chunk.body : `${chunk.body}${TOTALS}\n\n`);
			expect(again.ok && again.rows).toBe(chunk.rows);
			dataLines.push(...lines.slice(1).filter((l) => /^\d{4}\//.test(l)));
		}
		expect(dataLines).toEqual(many as string[]);
		expect(result.chunks.at(-1)?.body.endsWith(`${TOTALS}\n\n${FOOTER.join("\n")}`)).toBe(true);
	});

	test("quoted cells keep commas, quotes and newlines", () => {
		expect(parseCsvRecord('a,"b, c","say ""hi""",')).toEqual(["a", "b, c", 'say "hi"', ""]);
	});
});
