import { expect, test } from "bun:test";
import { createTestClock } from "../../test/support/clock.ts";
import { createRateLimiter } from "./rate-limiter.ts";

test("per-second window: the third request waits for the next second", async () => {
	const clock = createTestClock("2026-11-28T06:00:00.250Z");
	const limiter = createRateLimiter({ bm: { perSecond: 2 } }, clock);
	for (let i = 0; i < 3; i++) (await limiter.acquire("bm"))();
	expect(clock.sleeps).toEqual([750]);
});

test("per-minute window per concrete bucket under a prefix quota", async () => {
	const clock = createTestClock("2026-11-28T06:00:10Z");
	const limiter = createRateLimiter({ "dv360:advertiser:": { perMinute: 2 }, "dv360:": { perSecond: 100 } }, clock);
	for (let i = 0; i < 2; i++) (await limiter.acquire("dv360:advertiser:1"))();
	(await limiter.acquire("dv360:advertiser:2"))();
	expect(clock.sleeps).toEqual([]);
	(await limiter.acquire("dv360:advertiser:1"))();
	expect(clock.sleeps).toEqual([50_000]);
	expect(limiter.quotaFor("dv360:advertiser:9")).toEqual({ perMinute: 2 });
	expect(limiter.quotaFor("dv360:other")).toEqual({ perSecond: 100 });
	expect(limiter.quotaFor("sheets")).toBeNull();
});

test("per-day window waits until the next UTC day", async () => {
	const clock = createTestClock("2026-11-28T23:00:00Z");
	const limiter = createRateLimiter({ bm: { perDay: 1 } }, clock);
	(await limiter.acquire("bm"))();
	(await limiter.acquire("bm"))();
	expect(clock.sleeps).toEqual([3_600_000]);
});

test("the concurrency cap queues requests in arrival order instead of failing", async () => {
	const clock = createTestClock();
	const limiter = createRateLimiter({ ttd: { concurrency: 2 } }, clock);
	const order: number[] = [];
	const first = await limiter.acquire("ttd");
	const second = await limiter.acquire("ttd");
	const third = limiter.acquire("ttd").then((release) => {
		order.push(3);
		return release;
	});
	const fourth = limiter.acquire("ttd").then((release) => {
		order.push(4);
		return release;
	});
	await Bun.sleep(0);
	expect(order).toEqual([]);
	first();
	(await third)();
	second();
	(await fourth)();
	expect(order).toEqual([3, 4]);
});

test("untilNextWindowMs points at the next minute boundary (or second for per-second-only buckets)", () => {
	const clock = createTestClock("2026-11-28T06:00:45.500Z");
	const limiter = createRateLimiter({ sheets: { perMinute: 60 }, bm: { perSecond: 4 } }, clock);
	expect(limiter.untilNextWindowMs("sheets")).toBe(14_500);
	expect(limiter.untilNextWindowMs("bm")).toBe(500);
	expect(limiter.untilNextWindowMs("unknown")).toBe(14_500);
});
