import {
	BrokenCircuitError,
	type CircuitBreakerPolicy,
	CircuitState,
	ConsecutiveBreaker,
	circuitBreaker,
	handleWhen,
	type IBackoff,
	type IBackoffFactory,
} from "cockatiel";
import { RequestFailedError } from "./errors.ts";

export type BreakerState = "closed" | "open" | "half_open";

export interface BreakerEvent {
	source: string;
	account: string;
	state: BreakerState;
	/** Connection whose request moved the breaker. */
	connectionId: string;
	/** The failure that opened it (state "open"). */
	error?: RequestFailedError;
}

export interface BreakerKey {
	source: string;
	account: string;
	connectionId: string;
}

export interface BreakerRegistry {
	/** Runs `fn` through the (source, account) breaker; throws BrokenCircuitError while open. */
	execute<T>(key: BreakerKey, fn: () => Promise<T>): Promise<T>;
	state(source: string, account: string): BreakerState;
	/** Every breaker that has been used, with its state. */
	states(): { source: string; account: string; state: BreakerState }[];
	/** Called on every state change; returns the unsubscribe. */
	onChange(listener: (event: BreakerEvent) => void): () => void;
}

export interface BreakerOptions {
	/** Clock the cool-down is measured on (the injected one). */
	now(): Date;
	/** Consecutive failed requests that open a breaker. Default 5. */
	threshold?: number;
	/** Cool-down before a half-open probe, ms. Default 300,000 (5 min). */
	cooldownMs?: number;
}

const STATE_NAMES: Record<CircuitState, BreakerState> = {
	[CircuitState.Closed]: "closed",
	[CircuitState.Open]: "open",
	[CircuitState.HalfOpen]: "half_open",
	[CircuitState.Isolated]: "open",
};

/**
 * One cockatiel ConsecutiveBreaker per (source, account), shared by every run
 * in the process so that failures across runs add up. A failure is a request
 * the policy gave up on for a reason that says the account is unhealthy
 * (transient exhaustion, auth); a fatal 4xx on one request is neutral.
 */
export function createBreakerRegistry(options: BreakerOptions): BreakerRegistry {
	const threshold = options.threshold ?? 5;
	const cooldownMs = options.cooldownMs ?? 300_000;
	const breakers = new Map<string, { source: string; account: string; policy: CircuitBreakerPolicy }>();
	const listeners = new Set<(event: BreakerEvent) => void>();
	let current: { key: BreakerKey; error?: RequestFailedError } | null = null;

	const policyFor = (source: string, account: string) => {
		const id = `${source}\u0000${account}`;
		let entry = breakers.get(id);
		if (!entry) {
			const policy = circuitBreaker(
				handleWhen((error) => error instanceof RequestFailedError && error.countsTowardBreaker),
				{ halfOpenAfter: cooldownOn(options.now, cooldownMs), breaker: new ConsecutiveBreaker(threshold) },
			);
			policy.onStateChange((state) => {
				const event: BreakerEvent = {
					source,
					account,
					state: STATE_NAMES[state],
					connectionId: current?.key.connectionId ?? "",
					...(state === CircuitState.Open && current?.error ? { error: current.error } : {}),
				};
				for (const listener of listeners) listener(event);
			});
			entry = { source, account, policy };
			breakers.set(id, entry);
		}
		return entry.policy;
	};

	return {
		async execute(key, fn) {
			const policy = policyFor(key.source, key.account);
			// cockatiel emits state changes synchronously once fn settles; `current` tells the listener who moved it.
			return policy.execute(async () => {
				current = { key };
				try {
					const value = await fn();
					current = { key };
					return value;
				} catch (error) {
					current = { key, error: error instanceof RequestFailedError ? error : undefined };
					throw error;
				}
			});
		},
		state: (source, account) => {
			const entry = breakers.get(`${source}\u0000${account}`);
			return entry ? STATE_NAMES[entry.policy.state] : "closed";
		},
		states: () =>
			[...breakers.values()].map((b) => ({ source: b.source, account: b.account, state: STATE_NAMES[b.policy.state] })),
		onChange(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
	};
}

export function isBrokenCircuit(error: unknown): boolean {
	return error instanceof BrokenCircuitError;
}

/**
 * cockatiel 3.2 decides "half-open yet?" with `Date.now() - openedAt < backoff.duration`
 * on the wall clock. To measure the cool-down on the injected clock, the
 * backoff's duration is a getter: 0 once `cooldownMs` have passed on our
 * clock since the breaker opened (so the probe goes through), +∞ before.
 * With the real clock this is exactly `halfOpenAfter: cooldownMs`.
 */
function cooldownOn(now: () => Date, cooldownMs: number): IBackoffFactory<unknown> {
	const factory: IBackoffFactory<unknown> = {
		next(): IBackoff<unknown> {
			const openedAt = now().getTime();
			return {
				get duration() {
					return now().getTime() - openedAt >= cooldownMs ? 0 : Number.POSITIVE_INFINITY;
				},
				next: () => factory.next(undefined),
			};
		},
	};
	return factory;
}
