/** Signals that end `npm start`: Ctrl-C, a process manager's or CI's stop, a closed terminal. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** How often {@link stopWhenOrphaned} looks at the parent process. */
const PARENT_CHECK_MS = 1000;

/**
 * Calls `stop` on any of {@link STOP_SIGNALS}, and once the process that started this one has
 * gone (killed outright, so it could pass nothing on: this process then has another parent), so
 * that the runner never serves on, with coturn and the instance processes, after `npm start` ended.
 */
export function stopWithParent(stop: () => void): void {
  for (const signal of STOP_SIGNALS) process.on(signal, stop);
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, PARENT_CHECK_MS);
  timer.unref();
}
