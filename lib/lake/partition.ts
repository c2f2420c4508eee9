/**
 * The partitioning every lake table uses: identity on the organisation column
 * and identity on the report date (a DATE column). Identity on a date stores
 * the same int days as `day()` would, and both ClickHouse and icebird read it
 * back as the column's own value (tested in interop.test.ts).
 */
import { ValidationError } from "../errors.ts";
import { compareBounds, dateFromDays, daysFromDate, encodeLiteral } from "./bounds.ts";
import type { DataFile, IcebergSchema, PartitionSpec, PartitionValues, PrimitiveType } from "./types.ts";

export const FIRST_PARTITION_FIELD_ID = 1000;

/** Which partitions a scan, delete or overwrite touches; fields combine with AND, an empty object matches all. */
export interface PartitionFilter {
	/** Organisation ids to keep (any of). */
	orgIds?: readonly string[];
	/** First report date, YYYY-MM-DD, inclusive. */
	dateFrom?: string;
	/** Last report date, YYYY-MM-DD, inclusive. */
	dateTo?: string;
	/** Exact (org, date) pairs (any of). */
	partitions?: readonly { orgId: string; date: string }[];
}

export interface PartitionColumns {
	org: string;
	date: string;
}

export function buildSpec(schema: IcebergSchema, columns: PartitionColumns): PartitionSpec {
	const org = schema.fields.find((f) => f.name === columns.org);
	const date = schema.fields.find((f) => f.name === columns.date);
	if (org?.type !== "string" || !org.required) {
		throw new ValidationError(`Partition column "${columns.org}" must be a required string column`, {
			context: { column: columns.org },
		});
	}
	if (date?.type !== "date" || !date.required) {
		throw new ValidationError(`Partition column "${columns.date}" must be a required date column`, {
			context: { column: columns.date },
		});
	}
	return {
		"spec-id": 0,
		fields: [
			{ "source-id": org.id, "field-id": FIRST_PARTITION_FIELD_ID, name: org.name, transform: "identity" },
			{ "source-id": date.id, "field-id": FIRST_PARTITION_FIELD_ID + 1, name: date.name, transform: "identity" },
		],
	};
}

export function partitionColumns(spec: PartitionSpec): PartitionColumns {
	const [org, date] = spec.fields;
	if (!org || !date) throw new ValidationError("Table partition spec is not (org, date)");
	return { org: org.name, date: date.name };
}

export function partitionBound(type: PrimitiveType, value: string | number): Buffer {
	const bound = encodeLiteral(type, type === "date" && typeof value === "number" ? dateFromDays(value) : value);
	if (!bound) throw new ValidationError(`Cannot encode partition value ${value} as ${type}`);
	return bound;
}

/** Whether a file's partition tuple satisfies the filter. */
export function partitionMatches(spec: PartitionSpec, partition: PartitionValues, filter: PartitionFilter): boolean {
	const { org, date } = partitionColumns(spec);
	const orgValue = partition[org];
	const days = partition[date];
	if (filter.orgIds && !filter.orgIds.includes(String(orgValue))) return false;
	if (typeof days !== "number") return !(filter.dateFrom || filter.dateTo || filter.partitions);
	if (filter.dateFrom && days < daysFromDate(filter.dateFrom)) return false;
	if (filter.dateTo && days > daysFromDate(filter.dateTo)) return false;
	if (filter.partitions && !filter.partitions.some((p) => p.orgId === orgValue && daysFromDate(p.date) === days)) {
		return false;
	}
	return true;
}

/** Whether a manifest whose partition summaries are [org, date] may hold matching files. */
export function summaryMayMatch(
	summaries: { lower_bound: Buffer | null; upper_bound: Buffer | null }[] | null,
	filter: PartitionFilter,
): boolean {
	if (!summaries) return true;
	const [org, date] = summaries;
	const within = (type: PrimitiveType, s: typeof org, value: Buffer) =>
		!s?.lower_bound ||
		!s.upper_bound ||
		(compareBounds(type, value, s.lower_bound) >= 0 && compareBounds(type, value, s.upper_bound) <= 0);
	const orgs = filter.orgIds ?? filter.partitions?.map((p) => p.orgId);
	if (orgs && !orgs.some((o) => within("string", org, Buffer.from(o, "utf8")))) return false;
	if (date?.lower_bound && date.upper_bound) {
		const lo = date.lower_bound.readInt32LE();
		const hi = date.upper_bound.readInt32LE();
		if (filter.dateFrom && hi < daysFromDate(filter.dateFrom)) return false;
		if (filter.dateTo && lo > daysFromDate(filter.dateTo)) return false;
		if (filter.partitions && !filter.partitions.some((p) => daysFromDate(p.date) >= lo && daysFromDate(p.date) <= hi)) {
			return false;
		}
	}
	return true;
}

export function fileKeyPartition(dataFile: DataFile, spec: PartitionSpec): string {
	const { org, date } = partitionColumns(spec);
	return `${dataFile.partition[org]}\u0000${dataFile.partition[date]}`;
}
