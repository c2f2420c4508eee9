import { z } from "zod";
import { ValidationError } from "../errors.ts";

/**
 * The versioned message envelope of DESIGN.md §4. Every message on every
 * topic is one JSON object: the envelope fields plus the fields of its topic.
 * Messages carry references (tables, snapshots, dates, object keys), not bulk
 * data, except `connector.data.raw`, which carries one raw API response page
 * inline or a pointer to it in object storage.
 */
export const ENVELOPE_VERSION = 1;

const isoDate = z.iso.date();
const window = z.object({ from: isoDate, to: isoDate }).refine((w) => w.from <= w.to, {
	message: "window.from must not be after window.to",
});

const base = z.object({
	v: z.literal(ENVELOPE_VERSION),
	id: z.string().min(1).max(200),
	org_id: z.string().min(1).max(100),
	source: z.string().min(1).max(100),
	trace_id: z.string().regex(/^[0-9a-f]{32}$/, "a W3C trace id: 32 lowercase hex digits"),
	produced_at: z.iso.datetime({ offset: true }),
});

/** The raw page itself, or where it was put because it exceeded the broker's message limit. */
const rawBody = z.discriminatedUnion("kind", [
	z.object({
		kind: z.literal("inline"),
		content_type: z.string().min(1),
		data: z.unknown(),
	}),
	z.object({
		kind: z.literal("object"),
		content_type: z.string().min(1),
		key: z.string().min(1),
		size_bytes: z.number().int().nonnegative(),
		sha256: z.string().regex(/^[0-9a-f]{64}$/),
	}),
]);

export const rawDataEnvelope = base.extend({
	request_id: z.string().min(1).max(200),
	connection_id: z.string().min(1).max(200),
	stream: z.string().min(1).max(100),
	window,
	page: z.number().int().nonnegative().optional(),
	body: rawBody,
});

/** bronze.data.cleaned and silver.data.processed: which table and partitions changed. */
export const tableChangedEnvelope = base.extend({
	table: z.string().min(1),
	snapshot_id: z.string().min(1),
	dates: z.array(isoDate),
	row_counts: z.record(z.string(), z.number().int().nonnegative()),
	request_ids: z.array(z.string()).default([]),
});

export const goldReadyEnvelope = base.extend({
	tables: z.array(z.string().min(1)).min(1),
	dates: z.array(isoDate),
});

export const alertEnvelope = base.extend({
	alert_id: z.string().min(1),
	rule_id: z.string().min(1),
	state: z.enum(["firing", "resolved"]),
	entity: z.record(z.string(), z.string()).default({}),
	summary: z.string(),
});

export type RawDataEnvelope = z.infer<typeof rawDataEnvelope>;
export type TableChangedEnvelope = z.infer<typeof tableChangedEnvelope>;
export type GoldReadyEnvelope = z.infer<typeof goldReadyEnvelope>;
export type AlertEnvelope = z.infer<typeof alertEnvelope>;

export const envelopeSchemas = {
	"connector.data.raw": rawDataEnvelope,
	"bronze.data.cleaned": tableChangedEnvelope,
	"silver.data.processed": tableChangedEnvelope,
	"gold.data.ready": goldReadyEnvelope,
	"rules.alerts": alertEnvelope,
} as const;

export type EnvelopeTopic = keyof typeof envelopeSchemas;
export type EnvelopeOf<T extends EnvelopeTopic> = z.infer<(typeof envelopeSchemas)[T]>;

/** A message that is not a valid envelope for its topic; the reason lists every failing field. */
export class EnvelopeError extends ValidationError {}

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes and validates one message value against its topic's schema. The
 * message key must equal `org_id` (the bus partitions by organisation).
 */
export function parseEnvelope<T extends EnvelopeTopic>(
	topic: T,
	value: Uint8Array | string,
	key?: string | null,
): EnvelopeOf<T> {
	let json: unknown;
	try {
		json = JSON.parse(typeof value === "string" ? value : decoder.decode(value));
	} catch (error) {
		throw new EnvelopeError(`not a JSON envelope: ${(error as Error).message}`, { context: { topic } });
	}
	if (json && typeof json === "object" && "v" in json && json.v !== ENVELOPE_VERSION) {
		throw new EnvelopeError(
			`unsupported envelope version ${JSON.stringify(json.v)} (this build reads v${ENVELOPE_VERSION})`,
			{
				context: { topic },
			},
		);
	}
	const result = envelopeSchemas[topic].safeParse(json);
	if (!result.success) {
		const reason = result.error.issues
			.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
			.join("; ");
		throw new EnvelopeError(`invalid ${topic} envelope: ${reason}`, {
			context: { topic },
		});
	}
	const envelope = result.data as EnvelopeOf<T>;
	if (key !== undefined && key !== envelope.org_id) {
		throw new EnvelopeError(
			`message key ${JSON.stringify(key)} differs from org_id ${JSON.stringify(envelope.org_id)}`,
			{
				context: { topic },
			},
		);
	}
	return envelope;
}

type EnvelopeInput<T extends EnvelopeTopic> = Omit<EnvelopeOf<T>, "v" | "id" | "trace_id" | "produced_at"> &
	Partial<Pick<EnvelopeOf<T>, "id" | "trace_id" | "produced_at">>;

/**
 * Builds a validated envelope, filling `v`, `id`, `trace_id` (a new trace
 * unless the caller continues one) and `produced_at`. Throws EnvelopeError on
 * bad fields, so nothing invalid is ever produced.
 */
export function createEnvelope<T extends EnvelopeTopic>(
	topic: T,
	fields: EnvelopeInput<T>,
	now: () => Date = () => new Date(),
): EnvelopeOf<T> {
	const candidate = {
		v: ENVELOPE_VERSION,
		id: crypto.randomUUID(),
		trace_id: newTraceId(),
		produced_at: now().toISOString(),
		...fields,
	};
	return parseEnvelope(topic, JSON.stringify(candidate));
}

export function newTraceId(): string {
	return crypto.randomUUID().replaceAll("-", "");
}
