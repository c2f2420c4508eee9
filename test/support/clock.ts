/**
 * A virtual clock for tests of time-dependent code (backoff, throttle waits,
 * token expiry, async report polling): sleep() advances the clock instead of
 * waiting, so a test of "retried after 1 s, 2 s, 4 s" runs in microseconds
 * and can assert the exact waits. Pass the same clock to the framework and to
 * the simulators so both agree on what time it is.
 */
export interface TestClock {
	now(): Date;
	nowMs(): number;
	/** Advances the clock by `ms` and resolves on the next macrotask. */
	sleep(ms: number): Promise<void>;
	advance(ms: number): void;
	/** Every sleep requested so far, in order (ms). */
	readonly sleeps: number[];
}

export function createTestClock(start: Date | string = "2026-11-28T06:00:00Z"): TestClock {
	let current = new Date(start).getTime();
	const sleeps: number[] = [];
	return {
		now: () => new Date(current),
		nowMs: () => current,
		sleeps,
		advance(ms) {
			current += ms;
		},
		async sleep(ms) {
			sleeps.push(ms);
			current += Math.max(0, ms);
			await new Promise<void>((resolve) => setImmediate(resolve));
		},
	};
}
