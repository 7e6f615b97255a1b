/**
 * Work that finishes after the response: a family sign-in's email or text
 * is sent here, so a request for a known address answers as fast as one for
 * an unknown address and the timing tells nobody who is on the roster.
 * Failures are logged; `settled` lets tests (and a stopping server) wait.
 */
export class Background {
  #running = new Set<Promise<void>>();

  run(label: string, task: () => Promise<unknown>): void {
    const p = Promise.resolve().then(task).then(
      () => {},
      (e) => console.error(`${label} failed:`, e),
    ).finally(() => this.#running.delete(p));
    this.#running.add(p);
  }

  /** Resolves when everything started so far has finished. */
  async settled(): Promise<void> {
    while (this.#running.size) await Promise.all(this.#running);
  }
}
