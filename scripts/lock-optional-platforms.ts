/**
 * `bun scripts/lock-optional-platforms.ts` after any `npm install`.
 *
 * chdb lists one optional native package per platform, but the registry this
 * project installs from serves only the linux-x64 one, so `npm install` leaves
 * the others out of package-lock.json and `npm ci` then refuses the lock as
 * out of sync. This writes lock entries for the missing platforms, with their
 * cpu/os/libc constraints: npm ci skips them on any other platform and never
 * fetches them.
 */
import { readFileSync, writeFileSync } from "node:fs";

const lockPath = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, "utf8")) as { packages: Record<string, Record<string, unknown>> };
const chdb = lock.packages["node_modules/chdb"];
const optional = (chdb?.optionalDependencies ?? {}) as Record<string, string>;
const platforms: Record<string, { cpu: string[]; os: string[]; libc?: string[] }> = {
	"lib-darwin-arm64": { cpu: ["arm64"], os: ["darwin"] },
	"lib-darwin-x64": { cpu: ["x64"], os: ["darwin"] },
	"lib-linux-arm64-gnu": { cpu: ["arm64"], os: ["linux"], libc: ["glibc"] },
	"lib-linux-x64-gnu": { cpu: ["x64"], os: ["linux"], libc: ["glibc"] },
};
let added = 0;
for (const [name, version] of Object.entries(optional)) {
	const key = `node_modules/${name}`;
	const platform = platforms[name.replace("@chdb/", "")];
	if (lock.packages[key] || !platform) continue;
	lock.packages[key] = { version, ...platform, license: "Apache-2.0", optional: true };
	added += 1;
}
const sorted = Object.fromEntries(
	Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
writeFileSync(lockPath, `${JSON.stringify({ ...lock, packages: sorted }, null, 2)}\n`);
console.log(`lock: ${added} optional platform entr${added === 1 ? "y" : "ies"} added`);
