export {
	type AlertEnvelope,
	createEnvelope,
	ENVELOPE_VERSION,
	EnvelopeError,
	type EnvelopeOf,
	type EnvelopeTopic,
	envelopeSchemas,
	type GoldReadyEnvelope,
	newTraceId,
	parseEnvelope,
	type RawDataEnvelope,
	type TableChangedEnvelope,
} from "./envelope.ts";
