// Refusals the agent sends back as gRPC statuses: each carries its code and
// a message that says what was wrong and, where it helps, what to do.
import { status, type ServiceError, Metadata } from '@grpc/grpc-js';

export class StatusError extends Error {
	constructor(
		readonly code: status,
		message: string,
	) {
		super(message);
	}
}

export const invalidArgument = (m: string) => new StatusError(status.INVALID_ARGUMENT, m);
export const failedPrecondition = (m: string) => new StatusError(status.FAILED_PRECONDITION, m);
export const permissionDenied = (m: string) => new StatusError(status.PERMISSION_DENIED, m);
export const resourceExhausted = (m: string) => new StatusError(status.RESOURCE_EXHAUSTED, m);
export const notFound = (m: string) => new StatusError(status.NOT_FOUND, m);

/** Any thrown value as a gRPC error; unexpected ones become INTERNAL without a stack. */
export function toServiceError(err: unknown): Partial<ServiceError> {
	if (err instanceof StatusError) return { code: err.code, details: err.message, metadata: new Metadata() };
	return { code: status.INTERNAL, details: `internal error: ${(err as Error)?.message ?? String(err)}`, metadata: new Metadata() };
}

export function statusName(code: number): string {
	return status[code] ?? String(code);
}
