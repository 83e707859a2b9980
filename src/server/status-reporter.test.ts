import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ProxyStatus } from '../admin/model.js';
import { StatusReporter } from './status-reporter.js';

const silent = pino({ level: 'silent' });
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('StatusReporter', () => {
  it('sends one report at a time, and asks made meanwhile become one report of the latest status', async () => {
    const sent: ProxyStatus[] = [];
    let release: () => void = () => {};
    const send = async (status: ProxyStatus) => {
      sent.push(status);
      await new Promise<void>((resolve) => (release = resolve));
    };
    let applied = 1;
    const reporter = new StatusReporter(send, () => ({ proxy_id: 'p:1', applied_revision: String(applied) }), silent);

    reporter.report();
    await tick();
    for (applied = 2; applied <= 4; applied++) reporter.report();
    await tick();
    expect(sent.map((s) => s.applied_revision)).toEqual(['1']);

    release();
    await tick();
    // Read when it goes out: the newest status, once.
    expect(sent.map((s) => s.applied_revision)).toEqual(['1', '5']);
    release();
  });

  it('drops a failed report and keeps reporting', async () => {
    let calls = 0;
    const reporter = new StatusReporter(
      async () => {
        calls++;
        if (calls === 1) throw new Error('admin away');
      },
      () => ({ proxy_id: 'p:1' }),
      silent,
    );
    reporter.report();
    await tick();
    reporter.report();
    await tick();
    expect(calls).toBe(2);
  });

  it('reports on its interval until stopped', async () => {
    let calls = 0;
    const reporter = new StatusReporter(async () => void calls++, () => ({ proxy_id: 'p:1' }), silent);
    reporter.start(5);
    await new Promise((resolve) => setTimeout(resolve, 60));
    reporter.stop();
    const atStop = calls;
    expect(atStop).toBeGreaterThan(1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).toBe(atStop);
  });
});
