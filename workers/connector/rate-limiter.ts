import type { Quota } from "./source.ts";

export interface LimiterClock {
	now(): Date;
	sleep(ms: number): Promise<void>;
}

export interface RateLimiter {
	/**
	 * Waits (queued, first come first served) until `bucket` may send one more
	 * request, counts it, and returns the release of its concurrency slot.
	 */
	acquire(bucket: string, signal?: AbortSignal): Promise<() => void>;
	/** Milliseconds until the bucket's next window starts (minute boundary, else second); for throttles without a wait hint. */
	untilNextWindowMs(bucket: string): number;
	/** The quota that applies to `bucket` (longest matching prefix), or null. */
	quotaFor(bucket: string): Quota | null;
}

interface Window {
	sizeMs: number;
	limit: number;
	index: number;
	count: number;
}

interface BucketState {
	quota: Quota;
	windows: Window[];
	active: number;
	slotWaiters: (() => void)[];
	queue: Promise<void>;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

/**
 * Fixed-window rate limiter over the source's documented quotas, on the
 * injected clock. Windows align to the clock (second, minute, UTC day)
 * because Google and Meta quotas refill on those boundaries. Each concrete
 * bucket ("dv360:advertiser:123") has its own counters under the quota of its
 * longest matching prefix ("dv360:advertiser:"): per-advertiser quotas.
 */
export function createRateLimiter(quotas: Record<string, Quota>, clock: LimiterClock): RateLimiter {
	const prefixes = Object.keys(quotas).sort((a, b) => b.length - a.length);
	const states = new Map<string, BucketState | null>();

	const quotaFor = (bucket: string): Quota | null => {
		const prefix = prefixes.find((p) => bucket.startsWith(p));
		return prefix === undefined ? null : (quotas[prefix] ?? null);
	};

	const stateOf = (bucket: string): BucketState | null => {
		let state = states.get(bucket);
		if (state !== undefined) return state;
		const quota = quotaFor(bucket);
		state = quota
			? {
					quota,
					windows: [
						[SECOND, quota.perSecond],
						[MINUTE, quota.perMinute],
						[DAY, quota.perDay],
					]
						.filter((w): w is [number, number] => typeof w[1] === "number" && w[1] > 0)
						.map(([sizeMs, limit]) => ({ sizeMs, limit, index: -1, count: 0 })),
					active: 0,
					slotWaiters: [],
					queue: Promise.resolve(),
				}
			: null;
		states.set(bucket, state);
		return state;
	};

	const waitMs = (state: BucketState): number => {
		const now = clock.now().getTime();
		let wait = 0;
		for (const w of state.windows) {
			const index = Math.floor(now / w.sizeMs);
			if (index !== w.index) {
				w.index = index;
				w.count = 0;
			}
			if (w.count >= w.limit) wait = Math.max(wait, (index + 1) * w.sizeMs - now);
		}
		return wait;
	};

	const release = (state: BucketState) => {
		let released = false;
		return () => {
			if (released) return;
			released = true;
			state.active -= 1;
			state.slotWaiters.shift()?.();
		};
	};

	return {
		quotaFor,
		untilNextWindowMs(bucket) {
			const quota = quotaFor(bucket);
			const size = quota?.perSecond && !quota.perMinute ? SECOND : MINUTE;
			const now = clock.now().getTime();
			return (Math.floor(now / size) + 1) * size - now;
		},
		async acquire(bucket, signal) {
			const state = stateOf(bucket);
			if (!state) return () => {};
			const previous = state.queue;
			let done = () => {};
			state.queue = new Promise<void>((resolve) => {
				done = resolve;
			});
			await previous;
			try {
				const cap = state.quota.concurrency;
				while (cap && state.active >= cap) {
					await new Promise<void>((resolve) => state.slotWaiters.push(resolve));
				}
				for (let wait = waitMs(state); wait > 0; wait = waitMs(state)) {
					signal?.throwIfAborted();
					await clock.sleep(wait);
				}
				for (const w of state.windows) w.count += 1;
				state.active += 1;
			} finally {
				done();
			}
			return release(state);
		},
	};
}
