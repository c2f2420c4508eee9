import type { Hono } from "hono";
import type { DeadLetterRepository } from "../../lib/ops/dead-letters.ts";

/** Operator routes of the dead-letter worker: what was dead-lettered, newest first, and counts per topic. */
export function deadLetterRoutes(repository: DeadLetterRepository): (app: Hono) => void {
	return (app) => {
		app.get("/dead-letters", async (c) => {
			const limitText = c.req.query("limit");
			const limit = limitText === undefined ? 100 : Number(limitText);
			if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
				return c.json({ error: { code: "BAD_USER_INPUT", message: "limit must be an integer from 1 to 1000" } }, 400);
			}
			const topic = c.req.query("topic");
			const [items, counts] = await Promise.all([repository.list({ topic, limit }), repository.countByTopic()]);
			return c.json({ counts, items });
		});
	};
}
