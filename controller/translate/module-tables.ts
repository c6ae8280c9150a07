// The tables that end every generated module, whatever the runtime: printf
// formats, error locations, the probe table, the map table and the
// TAP_MODULE descriptor that names them all.
import { cString, cStringRaw } from './c-text.js';
import { mapTable } from './declarations.js';
import type { GlobalVar } from '../elaborate/program.js';
import type { ModuleContext } from './module-context.js';

/** tap_formats[] and tap_locations[] (before the handlers that use them). */
export function formatAndLocationTables(mod: ModuleContext): string[] {
	const formats = mod.formats.map((f, i) => `\t[${i}] = ${cString(f)},`);
	const locations = mod.locations.map((l, i) => `\t[${i}] = ${cStringRaw(l)},`);
	return [
		...(formats.length ? ['static const char *const tap_formats[] = {', ...formats, '};', ''] : []),
		...(locations.length ? ['static const char *const tap_locations[] = {', ...locations, '};', ''] : []),
	];
}

/** tap_probes[], tap_maps[] and TAP_MODULE for probe descriptors `descs`. */
export function moduleDescriptor(mod: ModuleContext, name: string, descs: string[]): string[] {
	const maps = mapTable(mod);
	const hasScalars = mod.program.globals.some((g) => !mod.isArrayLike(g));
	return [
		'static const struct tap_probe_desc tap_probes[] = {',
		...descs.map((d, i) => `\t[${i}] = ${d},`),
		'};',
		'',
		...maps,
		'',
		'TAP_MODULE = {',
		'\t.abi = TAP_ABI_VERSION,',
		`\t.name = ${cStringRaw(name)},`,
		'\t.probes = tap_probes,',
		'\t.nprobes = TAP_COUNT(tap_probes),',
		...(mod.formats.length ? ['\t.formats = tap_formats,', '\t.nformats = TAP_COUNT(tap_formats),'] : []),
		...(mod.locations.length ? ['\t.locations = tap_locations,', '\t.nlocations = TAP_COUNT(tap_locations),'] : []),
		...(maps.length ? ['\t.maps = tap_maps,', '\t.nmaps = TAP_COUNT(tap_maps),'] : []),
		...(hasScalars ? ['\t.globals_size = sizeof(struct tap_globals),'] : []),
		'};',
	];
}

/** The probes and globals a module's manifest lists, whether it runs commands and whether it changes the kernel, the same for both runtimes. */
export function manifestLists(table: { point: string; kind: string }[], globals: GlobalVar[], runsCommands: boolean, guru = false) {
	return {
		probes: table.map((t) => ({ point: t.point, kind: t.kind })),
		globals: globals.map((g) => ({ name: g.name, type: g.keys ? `${g.type}[${g.keys.join(',')}]` : g.type })),
		runsCommands,
		guru,
	};
}
