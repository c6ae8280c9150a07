// The readable summary `tapfleet profile` prints.
import { CAPABILITY_NAMES, RUNTIME_NAMES, type Capability, type CapabilityName, type KernelProfile } from './types.js';

const CAPABILITY_LABELS: Record<CapabilityName, string> = {
	tracepoint: 'tracepoints',
	rawTracepoint: 'raw tracepoints',
	btfTracepoint: 'BTF tracepoints',
	uprobe: 'uprobes',
	perfEvent: 'perf events',
	kprobe: 'kprobes',
	kprobeMulti: 'kprobe.multi',
	modules: 'loadable modules',
	fentry: 'fentry (BPF trampolines)',
	bpfLoop: 'bpf_loop',
	ringbuf: 'BPF ring buffer',
};

function yesNo(c: Capability): string {
	return c.available ? 'yes' : `no   ${c.reason ?? ''}`.trimEnd();
}

function mib(bytes: number): string {
	return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

export function profileSummary(p: KernelProfile): string {
	const out: string[] = [];
	const row = (label: string, value: string) => out.push(`  ${label.padEnd(28)}${value}`);
	out.push(`Kernel profile of ${p.hostname} (gathered ${p.gatheredAt})`);
	row('build-id', p.buildId);
	row('release', `${p.release} ${p.arch}`);
	row('version', p.version);
	row('lockdown', p.lockdown);
	const nconfig = Object.keys(p.config).length;
	row('config', nconfig ? `${nconfig} options (${p.configSource ?? 'source unknown'})` : 'unknown');
	out.push('  runtimes');
	for (const r of RUNTIME_NAMES) row(`  ${r}`, p.runtimes[r].available ? `yes${p.runtimes[r].reason ? ` (${p.runtimes[r].reason})` : ''}` : `no   ${p.runtimes[r].reason ?? ''}`);
	out.push('  probe kinds');
	for (const c of CAPABILITY_NAMES) row(`  ${CAPABILITY_LABELS[c]}`, yesNo(p.capabilities[c]));
	const helpers = Object.entries(p.bpfHelpers);
	if (helpers.length) row('BPF helpers', helpers.map(([h, ok]) => (ok ? h : `${h} (no)`)).join(', '));
	const systems = new Set(p.tracepoints.map((t) => t.system));
	const syscalls = p.tracepoints.filter((t) => t.system === 'syscalls' && t.name.startsWith('sys_enter_')).length;
	row('tracepoints', `${p.tracepoints.length} in ${systems.size} subsystems (${syscalls} system calls)`);
	const traceable = p.symbols.traceable ? `, ${p.symbols.traceable.length} traceable` : '';
	row('kernel functions', `${p.symbols.functions.length}${traceable}`);
	row('BTF', p.btf.present ? `${p.btf.path}, ${mib(p.btf.size ?? 0)}${p.btf.gzipBase64 ? ' (carried)' : ' (not carried)'}` : 'absent');
	if (p.unavailable.length) {
		out.push('  not gathered');
		for (const u of p.unavailable) out.push(`    ${u.source}: ${u.reason}`);
	}
	return `${out.join('\n')}\n`;
}
