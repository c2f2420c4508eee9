/**
 * Prometheus metrics in the text exposition format (version 0.0.4). Counters,
 * gauges and histograms with labels, plus collectors that refresh gauges at
 * scrape time (consumer lag is read from the bus when /metrics is asked).
 * Small enough to own; prom-client would bring default collectors we'd turn off.
 */
type Labels = Record<string, string | number>;

interface Series {
	labels: Labels;
	value: number;
}

interface HistogramSeries {
	labels: Labels;
	buckets: number[];
	sum: number;
	count: number;
}

export interface Counter {
	inc(labels?: Labels, by?: number): void;
	get(labels?: Labels): number;
}
export interface Gauge {
	set(labels: Labels, value: number): void;
	get(labels?: Labels): number;
}
export interface Histogram {
	observe(labels: Labels, value: number): void;
}

export interface Metrics {
	counter(name: string, help: string): Counter;
	gauge(name: string, help: string): Gauge;
	/** Buckets in the metric's unit (seconds for durations). */
	histogram(name: string, help: string, buckets?: number[]): Histogram;
	/** Runs before every render; used to refresh gauges from live state. */
	onCollect(collect: () => Promise<void> | void): void;
	render(): Promise<string>;
}

const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function createMetrics(): Metrics {
	const families = new Map<
		string,
		{
			type: "counter" | "gauge" | "histogram";
			help: string;
			render(): string[];
		}
	>();
	const collectors: (() => Promise<void> | void)[] = [];

	const register = <T>(
		name: string,
		type: "counter" | "gauge" | "histogram",
		help: string,
		make: () => { api: T; render(): string[] },
	): T => {
		if (!NAME.test(name)) throw new Error(`invalid metric name ${name}`);
		const existing = families.get(name) as unknown as { type: string; api: T } | undefined;
		if (existing) {
			if (existing.type !== type) throw new Error(`metric ${name} already registered as ${existing.type}`);
			return existing.api;
		}
		const made = make();
		families.set(name, {
			type,
			help,
			render: made.render,
			api: made.api,
		} as never);
		return made.api;
	};

	const scalar = (name: string) => {
		const series = new Map<string, Series>();
		const at = (labels: Labels = {}) => {
			const id = labelText(labels);
			let s = series.get(id);
			if (!s) {
				s = { labels, value: 0 };
				series.set(id, s);
			}
			return s;
		};
		return {
			series,
			at,
			render: () => [...series.values()].map((s) => `${name}${labelText(s.labels)} ${formatNumber(s.value)}`),
		};
	};

	return {
		counter(name, help) {
			return register(name, "counter", help, () => {
				const s = scalar(name);
				return {
					api: {
						inc: (labels, by = 1) => {
							if (by < 0) throw new Error(`counter ${name} cannot decrease`);
							s.at(labels).value += by;
						},
						get: (labels) => s.series.get(labelText(labels ?? {}))?.value ?? 0,
					},
					render: s.render,
				};
			});
		},
		gauge(name, help) {
			return register(name, "gauge", help, () => {
				const s = scalar(name);
				return {
					api: {
						set: (labels, value) => {
							s.at(labels).value = value;
						},
						get: (labels) => s.series.get(labelText(labels ?? {}))?.value ?? 0,
					},
					render: s.render,
				};
			});
		},
		histogram(name, help, buckets = DEFAULT_BUCKETS) {
			return register(name, "histogram", help, () => {
				const bounds = [...buckets].sort((a, b) => a - b);
				const series = new Map<string, HistogramSeries>();
				return {
					api: {
						observe: (labels, value) => {
							const id = labelText(labels);
							let h = series.get(id);
							if (!h) {
								h = { labels, buckets: bounds.map(() => 0), sum: 0, count: 0 };
								series.set(id, h);
							}
							bounds.forEach((bound, i) => {
								if (value <= bound) (h as HistogramSeries).buckets[i] = ((h as HistogramSeries).buckets[i] ?? 0) + 1;
							});
							h.sum += value;
							h.count += 1;
						},
					},
					render: () =>
						[...series.values()].flatMap((h) => [
							...bounds.map(
								(bound, i) => `${name}_bucket${labelText({ ...h.labels, le: formatNumber(bound) })} ${h.buckets[i]}`,
							),
							`${name}_bucket${labelText({ ...h.labels, le: "+Inf" })} ${h.count}`,
							`${name}_sum${labelText(h.labels)} ${formatNumber(h.sum)}`,
							`${name}_count${labelText(h.labels)} ${h.count}`,
						]),
				};
			});
		},
		onCollect(collect) {
			collectors.push(collect);
		},
		async render() {
			for (const collect of collectors) await collect();
			const lines: string[] = [];
			for (const [name, family] of families) {
				lines.push(`# HELP ${name} ${family.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
				lines.push(`# TYPE ${name} ${family.type}`);
				lines.push(...family.render());
			}
			return `${lines.join("\n")}\n`;
		},
	};
}

function labelText(labels: Labels): string {
	const entries = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
	if (entries.length === 0) return "";
	const escaped = entries.map(
		([k, v]) => `${k}="${String(v).replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`,
	);
	return `{${escaped.join(",")}}`;
}

function formatNumber(value: number): string {
	if (Number.isNaN(value)) return "NaN";
	if (value === Number.POSITIVE_INFINITY) return "+Inf";
	if (value === Number.NEGATIVE_INFINITY) return "-Inf";
	return String(value);
}
