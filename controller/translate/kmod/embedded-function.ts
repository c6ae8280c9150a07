// A script function whose body is embedded C (`function f:long (x:long) %{
// STAP_RETVALUE = STAP_ARG_x * 2; %}`, guru mode) as a kmod module's C
// function: the body pasted between the macros stap's embedded C is written
// against, with the signature of a script function (handlers.ts), so calls
// to it are a script function's calls (MAXNESTING, unwinding on an error).
import type { FunctionDef } from '../../elaborate/program.js';
import { functionName, functionParams } from '../calls.js';

/**
 * The C of embedded function `f`. stap's names: STAP_ARG_<param> (a string
 * parameter is a const char *), STAP_RETVALUE (a long lvalue, or the
 * MAXSTRINGLEN buffer of a string result), STAP_RETURN(v), STAP_ERROR(fmt,
 * ...) (the script's error, caught by try/catch like any other).
 */
export function embeddedFunction(f: FunctionDef): string {
	if (f.body.kind !== 'embedded') throw new Error(`internal: ${f.name} has no embedded body`);
	const name = functionName(f.mangledName);
	const args = f.params.map((p) => `#define STAP_ARG_${p.name} arg${p.index}`);
	const string = f.returnType === 'string';
	const long = f.returnType === 'long';
	const macros = [
		...args,
		`#define STAP_RETVALUE ${string ? 'ret' : long ? '(*ret)' : 'tap_no_retval_'}`,
		string
			? '#define STAP_RETURN(v) do { strscpy(STAP_RETVALUE, (v), MAXSTRINGLEN); goto tap_embedded_done; } while (0)'
			: '#define STAP_RETURN(v) do { STAP_RETVALUE = (v); goto tap_embedded_done; } while (0)',
		'#define STAP_ERROR(...) do { char tap_msg_[128]; snprintf(tap_msg_, sizeof(tap_msg_), __VA_ARGS__); tap_error_user(c, tap_msg_); return 1; } while (0)',
	];
	const undefs = [...f.params.map((p) => `STAP_ARG_${p.name}`), 'STAP_RETVALUE', 'STAP_RETURN', 'STAP_ERROR'].map((m) => `#undef ${m}`);
	// a result, "" or 0 unless the code sets one, as a script function's
	const start = string ? "\tret[0] = '\\0';" : long ? '\t*ret = 0;' : '\ttap_long tap_no_retval_ = 0;\n\n\t(void)ret;\n\t(void)tap_no_retval_;';
	return [
		`/* function ${f.name}, ${f.tok.file.name}:${f.tok.line}:${f.tok.column}: embedded C */`,
		`TAP_FN int ${name}(struct tap_context *c, ${functionParams(f)})`,
		'{',
		start,
		...macros,
		f.body.code,
		...undefs,
		'\tgoto tap_embedded_done;',
		'tap_embedded_done:',
		'\t(void)c;',
		'\treturn 0;',
		'}',
	].join('\n');
}
