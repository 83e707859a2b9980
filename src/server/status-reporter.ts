// Tells the admin what this proxy serves: after every configuration applied
// or refused, when the watch (re)connects, and every 15 s so that the
// admin, which forgets silent proxies after 60 s and keeps nothing across its
// restarts, always has a recent report. Best effort: a report that fails is
// dropped, the next one says the same and more.
import type { Logger } from 'pino';
import type { ProxyStatus } from '../admin/model.js';

export const REPORT_INTERVAL_MS = 15_000;

export class StatusReporter {
  private sending: Promise<void> = Promise.resolve();
  private queued = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (status: ProxyStatus) => Promise<void>,
    /** The status as of now: read when a report goes out, not when it was asked for. */
    private readonly current: () => ProxyStatus,
    private readonly logger: Logger,
  ) {}

  start(intervalMs = REPORT_INTERVAL_MS): void {
    this.timer = setInterval(() => this.report(), intervalMs);
    // Reporting alone must not keep a stopping process alive.
    this.timer.unref();
  }

  /**
   * One report at a time, so they reach the admin in order; asks made while
   * one is out collapse into a single next report.
   */
  report(): void {
    if (this.queued) return;
    this.queued = true;
    this.sending = this.sending.then(async () => {
      this.queued = false;
      try {
        await this.send(this.current());
      } catch (err) {
        this.logger.debug({ err: (err as Error).message }, 'status report to the admin failed');
      }
    });
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
