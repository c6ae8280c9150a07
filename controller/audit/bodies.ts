// The JSON body of each event kind: written by the recorder, read by the
// fold in runs.ts. Field names are part of the stored format.
import type { ControllerTag } from './controller-process.js';
import type { EndReason, RefusalReason } from './types.js';

export interface CompileBody {
	scriptText: string;
	moduleHash: string;
	targetBuildId: string;
	targetRelease: string;
	runtime: string;
	toolVersions: Record<string, string>;
}

export interface DispatchBody {
	hosts: string[];
	moduleHash: string;
	scriptText: string;
	options: Record<string, unknown>;
	controller: ControllerTag;
}

export interface HostLoadedBody {
	loadedAtMs: number;
}

export interface HostEndedBody {
	endedBy: EndReason;
	message?: string;
	firstOutputAtMs?: number;
	unloadedAtMs: number;
	outputBytes: number;
	outputLines: number;
	dropped: number;
}

export interface RefusalBody {
	reason: RefusalReason;
	message: string;
	moduleHash?: string;
}

export interface InterruptedBody {
	why: string;
	/** The controller that noticed. */
	noticedBy: ControllerTag;
}

export interface JournalLoadBody {
	atMs: number;
	moduleHash?: string;
	loadedBy?: string;
	/** Whether a controller record explains this load. */
	matched: boolean;
}

export interface JournalUnloadBody {
	atMs: number;
	endedBy?: EndReason;
	message?: string;
}

export function parseBody<T>(body: string): T {
	return JSON.parse(body) as T;
}
