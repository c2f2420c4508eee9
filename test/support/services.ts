import { describe, test } from "bun:test";

/**
 * Integration suites need real counterparts (PostgreSQL, librdkafka's mock
 * cluster, s3rver, Chromium). When one is missing a developer's run skips the
 * suite and says why in its name; CI sets PACER_REQUIRE_ALL_SUITES=1, and
 * then a missing counterpart fails the run instead of hiding behind a skip.
 */
export function describeWithService(name: string, missingReason: string | null, body: () => void): void {
	if (missingReason === null) {
		describe(name, body);
		return;
	}
	if (process.env.PACER_REQUIRE_ALL_SUITES === "1") {
		describe(name, () => {
			test("its required service is available", () => {
				throw new Error(`required suite cannot run: ${missingReason}`);
			});
		});
		return;
	}
	describe.skip(`${name} [skipped: ${missingReason}]`, body);
}
