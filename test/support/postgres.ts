import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { testNamespace } from "./namespace.ts";

export interface TestPostgres {
	/** postgres:// URL of a database the tests may use; give each run its own schema in it. */
	url: string;
	/** Stops the server started for the tests and removes its files; a no-op for DATABASE_URL. */
	stop(): Promise<void>;
}

const DEBIAN_ROOT = "/usr/lib/postgresql";
const START_ATTEMPTS = 3;

/** Why the PostgreSQL suites cannot run here, or null when they can (DATABASE_URL set, or the Debian packages installed). */
export function postgresUnavailableReason(): string | null {
	if (process.env.DATABASE_URL) return null;
	if (!findBinDir()) return `PostgreSQL server binaries not found under ${DEBIAN_ROOT} (apt-get install postgresql)`;
	if (isRoot()) {
		if (!Bun.which("runuser")) return "running as root and runuser is missing (PostgreSQL refuses to run as root)";
		if (
			!readFileSync("/etc/passwd", "utf8")
				.split("\n")
				.some((line) => line.startsWith("postgres:"))
		) {
			return "running as root and there is no postgres user to run the server as";
		}
	}
	return null;
}

/**
 * With DATABASE_URL set, returns it. Otherwise starts a private PostgreSQL
 * server from the Debian packages: a temp data directory, 127.0.0.1 on a free
 * port, its unix socket in that directory, trust auth, fsync off. As root
 * (PostgreSQL refuses to run as root) the server runs as the `postgres` user.
 */
export async function startPostgres(): Promise<TestPostgres> {
	const external = process.env.DATABASE_URL;
	if (external) return { url: external, stop: async () => {} };
	const binDir = findBinDir();
	if (!binDir) throw new Error(postgresUnavailableReason() ?? "PostgreSQL binaries not found");

	const namespace = testNamespace("postgres");
	const dir = namespace.dir;
	const data = join(dir, "data");
	if (isRoot()) await run(["chown", "postgres", dir], dir);
	const asServerUser = (command: string[]) => (isRoot() ? ["runuser", "-u", "postgres", "--", ...command] : command);
	const pgCtl = asServerUser([join(binDir, "pg_ctl")]);

	// Stops the server and removes its files when its stdin closes: on stop(), or
	// when this process dies without calling stop(), so no server outlives its tests.
	const reaper = Bun.spawn(
		[
			"sh",
			"-c",
			`trap '' INT HUP; cat >/dev/null; "$@" stop -D "$DATA" -m fast -w >/dev/null 2>&1; rm -rf "$DIR"`,
		].concat(["reaper", ...pgCtl]),
		{ stdin: "pipe", stdout: "ignore", stderr: "ignore", env: { ...process.env, DATA: data, DIR: dir } },
	);
	let stopped: Promise<void> | undefined;
	const stop = () => {
		stopped ??= (async () => {
			reaper.stdin.end();
			await reaper.exited;
		})();
		return stopped;
	};

	try {
		await run(
			asServerUser([join(binDir, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8"]).concat([
				"--locale=C",
				"--no-sync",
			]),
			dir,
		);
		for (let attempt = 1; ; attempt++) {
			const port = freePort();
			const log = join(dir, `server-${port}.log`);
			const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
			try {
				// -w waits until the server reports it accepts connections (a condition, not a sleep).
				await run([...pgCtl, "start", "-D", data, "-l", log, "-w", "-t", "60", "-o", settings], dir);
				return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
			} catch (error) {
				const text = existsSync(log) ? readFileSync(log, "utf8") : "";
				// Another program may take the free port between the probe and the bind.
				if (attempt < START_ATTEMPTS && /could not bind|already in use/i.test(text)) continue;
				throw new Error(`${String(error)}\n${text}`);
			}
		}
	} catch (error) {
		await stop();
		throw new Error(`PostgreSQL did not start: ${error instanceof Error ? error.message : String(error)}`);
	}
}

function isRoot(): boolean {
	return process.getuid?.() === 0;
}

/** The bin folder of the newest Debian PostgreSQL that has initdb and pg_ctl. */
function findBinDir(): string | null {
	if (!existsSync(DEBIAN_ROOT)) return null;
	const versions = readdirSync(DEBIAN_ROOT)
		.filter((name) => /^\d+(\.\d+)?$/.test(name))
		.sort((a, b) => Number(b) - Number(a));
	for (const version of versions) {
		const bin = join(DEBIAN_ROOT, version, "bin");
		if (existsSync(join(bin, "initdb")) && existsSync(join(bin, "pg_ctl"))) return bin;
	}
	return null;
}

function freePort(): number {
	const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
	const { port } = listener;
	listener.stop(true);
	return port;
}

async function run(command: string[], cwd: string): Promise<void> {
	const child = Bun.spawn(command, {
		cwd,
		stdout: "pipe",
		stderr: "pipe",
		env: { ...process.env, LC_ALL: "C" },
	});
	const [code, stdout, stderr] = await Promise.all([
		child.exited,
		new Response(child.stdout).text(),
		new Response(child.stderr).text(),
	]);
	if (code !== 0) throw new Error(`${command.join(" ")} exited with ${code}\n${stderr || stdout}`);
}
