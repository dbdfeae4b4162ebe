// Live views while a model trains: the page reads the model between two training slices (the
// worker trains in slices of ~100 ms and answers requests in between), right after a progress
// event, at most once every `everyMs` and one reading at a time, so that the views refresh about
// once a second and training keeps its speed (measured by e2e/live.spec.js; README "Watch it learn").
//
//   const live = new LiveViews(session, async () => { ...read and redraw... }, {everyMs});
//   live.enabled = false;   // training at full speed, views frozen
//   live.stats              // {refreshes, meanMs (time a refresh took), lastAt}
export const LIVE_EVERY_MS = 700;

export class LiveViews {
  constructor(session, refresh, { everyMs = LIVE_EVERY_MS } = {}) {
    this.refresh = refresh;
    this.everyMs = everyMs;
    this.enabled = true;
    this.busy = false;
    this.last = 0;
    this.stats = { refreshes: 0, totalMs: 0, meanMs: 0, lastAt: 0 };
    this.off = [
      session.on('progress', () => this.tick()),
      session.on('start', () => {
        this.last = 0;
      }),
    ];
  }

  tick() {
    if (!this.enabled || this.busy) return;
    const now = performance.now();
    if (now - this.last < this.everyMs) return;
    this.last = now;
    this.busy = true;
    Promise.resolve()
      .then(() => this.refresh())
      .catch(() => {
        /* a failed reading is retried at the next tick */
      })
      .finally(() => {
        const ms = performance.now() - now;
        const s = this.stats;
        s.refreshes++;
        s.totalMs += ms;
        s.meanMs = s.totalMs / s.refreshes;
        s.lastAt = performance.now();
        this.busy = false;
      });
  }

  dispose() {
    for (const off of this.off) off();
    this.off = [];
  }
}
