/** A page split into its records (each the JSON text of one record), or why it cannot be split at all. */
export type SplitResult =
	| {
			ok: true;
			records: string[];
			/** The account the page belongs to when the records do not say (Sheets: the spreadsheet id). */
			account?: string;
	  }
	| { ok: false; reason: string };
