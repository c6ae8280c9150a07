// Checks that a parsed document is a kernel profile this tapfleet can use,
// with a message that names the offending field ("tracepoints[12].fields[0].size
// must be a number"), so a hand-edited or truncated profile fails clearly
// instead of surfacing as an odd error deep inside a pass.
import {
	CAPABILITY_NAMES,
	LOCKDOWN_MODES,
	PROFILE_SCHEMA_VERSION,
	RUNTIME_NAMES,
	type KernelProfile,
} from './types.js';

export class ProfileError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ProfileError';
	}
}

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

class Checker {
	constructor(private readonly source: string) {}

	fail(path: string, what: string): never {
		throw new ProfileError(`${this.source}: invalid kernel profile: ${path} ${what}`);
	}

	object(v: Json, path: string): Record<string, Json> {
		if (!isObject(v)) this.fail(path, 'must be an object');
		return v;
	}

	array(v: Json, path: string): Json[] {
		if (!Array.isArray(v)) this.fail(path, 'must be an array');
		return v;
	}

	string(v: Json, path: string): string {
		if (typeof v !== 'string') this.fail(path, 'must be a string');
		return v;
	}

	number(v: Json, path: string): number {
		if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(path, 'must be a number');
		return v;
	}

	boolean(v: Json, path: string): boolean {
		if (typeof v !== 'boolean') this.fail(path, 'must be true or false');
		return v;
	}

	optionalString(v: Json, path: string): void {
		if (v !== undefined) this.string(v, path);
	}

	oneOf<T extends string>(v: Json, allowed: readonly T[], path: string): T {
		if (typeof v !== 'string' || !allowed.includes(v as T)) this.fail(path, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
		return v as T;
	}

	stringArray(v: Json, path: string): void {
		const a = this.array(v, path);
		for (let i = 0; i < a.length; i++) if (typeof a[i] !== 'string') this.fail(`${path}[${i}]`, 'must be a string');
	}

	/** available + reason (+ error): a capability or a runtime. */
	support(v: Json, path: string): void {
		const o = this.object(v, path);
		this.boolean(o.available, `${path}.available`);
		this.optionalString(o.reason, `${path}.reason`);
		this.optionalString(o.error, `${path}.error`);
	}

	fields(v: Json, path: string): void {
		const fields = this.array(v, path);
		fields.forEach((f, i) => {
			const o = this.object(f, `${path}[${i}]`);
			this.string(o.name, `${path}[${i}].name`);
			this.string(o.type, `${path}[${i}].type`);
			this.number(o.offset, `${path}[${i}].offset`);
			this.number(o.size, `${path}[${i}].size`);
			this.boolean(o.signed, `${path}[${i}].signed`);
		});
	}
}

/** Returns the document as a KernelProfile, or throws ProfileError naming `source` and the bad field. */
export function validateProfile(doc: Json, source: string): KernelProfile {
	const c = new Checker(source);
	const p = c.object(doc, 'the document');
	const schema = c.number(p.schema, 'schema');
	if (schema > PROFILE_SCHEMA_VERSION) {
		throw new ProfileError(`${source}: kernel profile schema ${schema} is newer than this tapfleet reads (${PROFILE_SCHEMA_VERSION}); upgrade tapfleet or regenerate the profile`);
	}
	if (schema !== PROFILE_SCHEMA_VERSION) c.fail('schema', `is ${schema}; this tapfleet reads ${PROFILE_SCHEMA_VERSION} (regenerate the profile with \`tapfleet profile\`)`);
	if (!/^[0-9a-f]{2,}$/.test(c.string(p.buildId, 'buildId'))) c.fail('buildId', 'must be a lowercase hex string');
	for (const key of ['release', 'version', 'arch', 'hostname', 'gatheredAt'] as const) c.string(p[key], key);
	c.oneOf(p.lockdown, LOCKDOWN_MODES, 'lockdown');
	for (const [k, v] of Object.entries(c.object(p.config, 'config'))) {
		if (!k.startsWith('CONFIG_')) c.fail(`config["${k}"]`, 'is not a CONFIG_ option');
		c.string(v, `config["${k}"]`);
	}
	c.optionalString(p.configSource, 'configSource');
	const caps = c.object(p.capabilities, 'capabilities');
	for (const name of CAPABILITY_NAMES) c.support(caps[name], `capabilities.${name}`);
	for (const [k, v] of Object.entries(c.object(p.bpfHelpers, 'bpfHelpers'))) c.boolean(v, `bpfHelpers.${k}`);
	const runtimes = c.object(p.runtimes, 'runtimes');
	for (const name of RUNTIME_NAMES) c.support(runtimes[name], `runtimes.${name}`);
	c.fields(p.tracepointCommonFields, 'tracepointCommonFields');
	c.array(p.tracepoints, 'tracepoints').forEach((t, i) => {
		const o = c.object(t, `tracepoints[${i}]`);
		c.string(o.system, `tracepoints[${i}].system`);
		c.string(o.name, `tracepoints[${i}].name`);
		c.number(o.id, `tracepoints[${i}].id`);
		c.string(o.printFmt, `tracepoints[${i}].printFmt`);
		c.fields(o.fields, `tracepoints[${i}].fields`);
	});
	const symbols = c.object(p.symbols, 'symbols');
	c.stringArray(symbols.functions, 'symbols.functions');
	if (symbols.traceable !== undefined) c.stringArray(symbols.traceable, 'symbols.traceable');
	const btf = c.object(p.btf, 'btf');
	c.boolean(btf.present, 'btf.present');
	c.optionalString(btf.path, 'btf.path');
	if (btf.size !== undefined) c.number(btf.size, 'btf.size');
	c.optionalString(btf.sha256, 'btf.sha256');
	c.optionalString(btf.gzipBase64, 'btf.gzipBase64');
	c.array(p.unavailable, 'unavailable').forEach((u, i) => {
		const o = c.object(u, `unavailable[${i}]`);
		c.string(o.source, `unavailable[${i}].source`);
		c.string(o.reason, `unavailable[${i}].reason`);
	});
	return p as unknown as KernelProfile;
}
