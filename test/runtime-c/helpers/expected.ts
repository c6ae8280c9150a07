// Expected outputs shared by the unit and end-to-end tests of runtime-c.

/** Values 1 x3, 100 x2, 4096 x5: what the stats fixture collects from dd. */
export const writeSizes = [1, 1, 1, 100, 100, 4096, 4096, 4096, 4096, 4096];

/** print(@hist_log(s)) of writeSizes: stap elides empty runs with "~". */
export const writeSizesHistLog = [
	'value |-------------------------------------------------- count',
	'    0 |                                                   0',
	'    1 |@@@                                                3',
	'    2 |                                                   0',
	'    4 |                                                   0',
	'      ~',
	'   16 |                                                   0',
	'   32 |                                                   0',
	'   64 |@@                                                 2',
	'  128 |                                                   0',
	'  256 |                                                   0',
	'      ~',
	' 1024 |                                                   0',
	' 2048 |                                                   0',
	' 4096 |@@@@@                                              5',
	' 8192 |                                                   0',
	'16384 |                                                   0',
	'',
	'',
].join('\n');
