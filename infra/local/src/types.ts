/** Progress output of infra operations (one line per call). */
export type Log = (line: string) => void;

/** Whether this checkout's managed process runs. */
export type LocalState = { readonly state: 'running'; readonly pid: number } | { readonly state: 'stopped' };
