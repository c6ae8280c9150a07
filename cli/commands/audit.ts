// `tapfleet audit`: what ran where, by whom, when and how it ended; `audit
// show RUN`, `audit verify`, and `audit serve` (the AuditService over gRPC).
import { Command, InvalidArgumentError, Option } from 'commander';
import {
	AuditDbUrlError,
	AuditInputError,
	AuditOpenError,
	AuditServeError,
	openAuditLog,
	parseTimeSpec,
	prepareServe,
	renderEntries,
	renderRun,
	renderVerify,
	RunNotFoundError,
	serveAudit,
	type AuditLog,
	type ServeOptions,
} from '../../controller/audit/index.js';
import { defaultPkiDir } from '../../controller/pki/dirs.js';
import { PKI_FILES } from '../../controller/pki/layout.js';
import { join } from 'node:path';

/** Exit status of `audit verify` when the chain is broken (errors exit 1). */
const EXIT_TAMPERED = 3;

const auditDbOption = () =>
	new Option('--audit-db <url>', 'audit log: postgres://..., sqlite:PATH or a file (default $XDG_STATE_HOME/tapfleet/audit.db)').env(
		'TAPFLEET_AUDIT_DB',
	);

const KNOWN_ERRORS = [AuditInputError, AuditOpenError, AuditDbUrlError, RunNotFoundError, AuditServeError];

/** Runs an action; a known error becomes one line on stderr and exit status 1. */
async function guard(fn: () => Promise<void>): Promise<void> {
	try {
		await fn();
	} catch (err) {
		if (!KNOWN_ERRORS.some((E) => err instanceof E)) throw err;
		process.stderr.write(`tapfleet audit: ${(err as Error).message}\n`);
		process.exitCode = 1;
	}
}

/** Opens the log (marking runs of dead local controllers interrupted unless `recover` is false), runs `fn`, closes. */
async function withAudit(auditDb: string | undefined, fn: (log: AuditLog) => Promise<void>, recover = true): Promise<void> {
	const log = await openAuditLog(auditDb, { recover });
	try {
		await fn(log);
	} finally {
		await log.close();
	}
}

/** A filter given as "" would match everything, which is not what was asked: refused by name. */
function nonEmpty(option: string) {
	return (v: string): string => {
		if (v === '') throw new InvalidArgumentError(`${option} needs a value, not an empty string (leave it out to list every one)`);
		return v;
	};
}

function positiveInt(option: string) {
	return (v: string): number => {
		if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${option} takes a positive integer`);
		return Number(v);
	};
}

interface ListOptions {
	host?: string;
	user?: string;
	since?: string;
	until?: string;
	scriptHash?: string;
	limit?: number;
	json?: boolean;
	auditDb?: string;
}

export function registerAudit(program: Command): void {
	const audit = program
		.command('audit')
		.description('the audit log: what was compiled and loaded where, by whom, when, and how it ended');

	// The listing is the default subcommand, so `tapfleet audit --host H` works
	// and each subcommand owns its options (--json, --audit-db) outright.
	audit
		.command('list', { isDefault: true })
		.description('list runs (one line per host), compiles, refusals and unexplained agent loads, newest first')
		.option('--host <host>', 'only this host', nonEmpty('--host'))
		.option('--user <user>', 'only this identity (alice finds user:alice@HOST and cert:alice)', nonEmpty('--user'))
		.option('--since <time>', 'from this time: ISO date/time, an age (30m, 2h, 7d) or now')
		.option('--until <time>', 'up to this time (same forms as --since)')
		.option('--script-hash <hash>', 'only this script (sha256, or a prefix of it)', nonEmpty('--script-hash'))
		.option('--limit <n>', 'at most this many entries (default 100)', positiveInt('--limit'))
		.option('--json', 'one JSON object per entry')
		.addOption(auditDbOption())
		.action((o: ListOptions) =>
			guard(async () => {
				// Check the whole query before touching the database.
				const now = Date.now();
				const query = {
					host: o.host,
					user: o.user,
					sinceMs: o.since === undefined ? undefined : parseTimeSpec('--since', o.since, now),
					untilMs: o.until === undefined ? undefined : parseTimeSpec('--until', o.until, now),
					scriptHash: o.scriptHash,
					limit: o.limit,
				};
				await withAudit(o.auditDb, async (log) => {
					const listing = await log.list(query);
					if (o.json) {
						for (const e of listing.entries) process.stdout.write(JSON.stringify({ ...e, at: new Date(e.atMs).toISOString() }) + '\n');
					} else {
						process.stdout.write(renderEntries(listing.entries, listing.truncated));
					}
				});
			}),
		);

	audit
		.command('show')
		.description("one run: its script text and every host's outcome")
		.argument('<run>', 'run id (or a unique prefix of it)')
		.option('--json', 'as one JSON object')
		.addOption(auditDbOption())
		.action((runId: string, o: { json?: boolean; auditDb?: string }) =>
			guard(() =>
				withAudit(o.auditDb, async (log) => {
					const run = await log.show(runId);
					process.stdout.write(o.json ? JSON.stringify(run) + '\n' : renderRun(run));
				}),
			),
		);

	audit
		.command('verify')
		.description('recompute the hash chain; name the first row that was changed or deleted')
		.option('--json', 'as one JSON object')
		.addOption(auditDbOption())
		.action((o: { json?: boolean; auditDb?: string }) =>
			guard(() =>
				withAudit(
					o.auditDb,
					async (log) => {
						const v = await log.verify();
						process.stdout.write(o.json ? JSON.stringify(v) + '\n' : renderVerify(v, log.location));
						if (!v.ok) process.exitCode = EXIT_TAMPERED;
					},
					false, // verifying must not write
				),
			),
		);

	audit
		.command('serve')
		.description('serve tapfleet.v1.AuditService (the same queries over gRPC) until interrupted')
		.requiredOption('--listen <addr>', 'HOST:PORT (mutual TLS) or unix:/PATH')
		.option('--pki <dir>', `PKI directory from \`tapfleet keys init\` (default ${defaultPkiDir()})`)
		.option('--plaintext', 'TCP without TLS (anyone who can connect reads the audit)')
		.addOption(auditDbOption())
		.action((o: { listen: string; pki?: string; plaintext?: boolean; auditDb?: string }) =>
			guard(async () => {
				const serve: ServeOptions = { listen: o.listen };
				if (o.plaintext) {
					serve.plaintext = true;
				} else if (!o.listen.startsWith('unix:')) {
					const dir = o.pki ?? defaultPkiDir();
					serve.tls = { ca: join(dir, PKI_FILES.caCert), cert: join(dir, PKI_FILES.controllerCert), key: join(dir, PKI_FILES.controllerKey) };
				}
				const prepared = prepareServe(serve);
				if (o.plaintext) process.stderr.write('tapfleet audit serve: WARNING: plain TCP, no authentication\n');
				await withAudit(o.auditDb, async (log) => {
				const server = await serveAudit(log, prepared);
				process.stderr.write(`tapfleet audit serve: listening on ${server.address} (audit log ${log.location})\n`);
				await new Promise<void>((resolve) => {
					const stop = () => void server.stop().then(resolve);
					process.once('SIGINT', stop);
					process.once('SIGTERM', stop);
				});
				});
			}),
		);
}
