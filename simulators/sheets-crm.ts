/**
 * The CRM spreadsheet of one organisation as the Sheets simulator holds it:
 * a Clients tab, a Bookings tab and an "FX Rates" tab, rendered from the
 * simulated world. Cells keep their number format so the simulator can answer
 * both UNFORMATTED_VALUE (numbers, serial dates) and FORMATTED_VALUE (display
 * strings). The sheet is hand-kept like a real one: a blank spacer row, an
 * empty cell inside a row, and a trailing Notes column filled only sometimes
 * (so rows are ragged).
 */
import type { OrgWorld } from "./world.ts";

export type NumberFormat = "integer" | "decimal2" | "rate" | "date";
/** A cell: empty, text, boolean, or a number with its display format. */
export type Cell = null | string | boolean | { n: number; format: NumberFormat };

export interface Tab {
	title: string;
	/** Grid size: reading beyond it is a 400 "exceeds grid limits". */
	rowCount: number;
	columnCount: number;
	cells: Cell[][];
}

export interface Spreadsheet {
	id: string;
	orgId: string;
	title: string;
	tabs: Tab[];
}

export const CRM_TABS = { clients: "Clients", bookings: "Bookings", exchangeRates: "FX Rates" } as const;

/** The simulated CRM spreadsheet id of an organisation. */
export function sheetsSpreadsheetId(orgId: string): string {
	return `1PacerCrm-${orgId}`;
}

const EPOCH_MS = Date.UTC(1899, 11, 30);
/** ISO date → Sheets serial date (days since 1899-12-30). Deliberately not imported from the connector: the simulator stands alone. */
export function toSerial(date: string): number {
	return Math.round((Date.parse(`${date}T00:00:00Z`) - EPOCH_MS) / 86_400_000);
}

const num = (n: number, format: NumberFormat): Cell => ({ n, format });

function tab(title: string, cells: Cell[][], columnCount = 26): Tab {
	return { title, cells, columnCount, rowCount: Math.max(1000, cells.length + 100) };
}

/** Builds an organisation's CRM spreadsheet; `extraBookings` appends synthetic bookings (benchmarks). */
export function buildCrmSpreadsheet(world: OrgWorld, extraBookings = 0): Spreadsheet {
	const clients: Cell[][] = [
		["Client ID", "Client Name", "Account Manager", "Currency"],
		...world.clients.map((c, i) => [c.id, c.name, i === 1 ? "" : `am${i + 1}@${world.org.id}.example`, c.currency]),
	];
	const bookings: Cell[][] = [
		[
			"Booking ID",
			"Client ID",
			"DSP Line Items",
			"Booked Impressions",
			"Booked Revenue",
			"Currency",
			"Flight Start",
			"Flight End",
			"Notes",
		],
	];
	let previousSource = "";
	world.bookings.forEach((b, i) => {
		const source = b.lineItems[0]?.split(":")[0] ?? "";
		// People leave a blank row between blocks; the API returns it as [].
		if (previousSource && source !== previousSource) bookings.push([]);
		previousSource = source;
		const row: Cell[] = [
			b.id,
			b.clientId,
			b.lineItems.join(", "),
			num(b.bookedImpressions, "integer"),
			num(b.bookedRevenueCents / 100, "decimal2"),
			b.currency,
			num(toSerial(b.flightStart), "date"),
			num(toSerial(b.flightEnd), "date"),
		];
		if (i % 3 === 0) row.push(i % 2 === 0 ? "Renewal" : "New business");
		bookings.push(row);
	});
	for (let i = 0; i < extraBookings; i++) {
		bookings.push([
			`${world.org.id}-bk-bench-${i}`,
			world.clients[i % world.clients.length]?.id ?? "",
			`dv360:${100_000_000 + i}`,
			num(1_000_000 + i, "integer"),
			num(2_500 + (i % 100), "decimal2"),
			world.org.currency,
			num(46_023 + (i % 300), "date"),
			num(46_053 + (i % 300), "date"),
		]);
	}
	const fx: Cell[][] = [
		["Date", "From", "To", "Rate"],
		...world.exchangeRates.map((r) => [num(toSerial(r.date), "date"), r.from, r.to, num(Number(r.rate), "rate")]),
	];
	return {
		id: sheetsSpreadsheetId(world.org.id),
		orgId: world.org.id,
		title: `${world.org.name} CRM`,
		tabs: [tab(CRM_TABS.clients, clients), tab(CRM_TABS.bookings, bookings), tab(CRM_TABS.exchangeRates, fx)],
	};
}
