/**
 * What stands in for an SQS queue and its consumer in local runs and tests: each task runs on a
 * timer after its delay. `stop` cancels what waits and waits for what runs, so nothing writes to
 * a store after shutdown.
 */
export function timerQueue() {
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  return {
    resume(): void {
      stopped = false;
    },
    async stop(): Promise<void> {
      // A task already under way would otherwise queue its successor after this.
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...running]);
    },
    /** Runs `task` after `delayMs`, unless stopped by then. */
    later(task: () => Promise<void>, delayMs: number): void {
      if (stopped) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        const run = task();
        running.add(run);
        void run.finally(() => running.delete(run));
      }, delayMs);
      // The local server keeps the process alive; waiting tasks alone should not.
      timer.unref();
      timers.add(timer);
    },
  };
}
