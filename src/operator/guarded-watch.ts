import { type KubeConfig, Watch } from '@kubernetes/client-node';

export interface GuardedWatchHooks {
  /** Sent as the watch's `timeoutSeconds`: the server ends a healthy stream after this. */
  timeoutSeconds: number;
  /** A stream the server ends cleanly sooner than this counts as a failure, so it cannot reconnect in a hot loop. */
  minWatchMs: number;
  /** A stream is being opened (ListWatch opens one only after a successful list). */
  opened(): void;
  /** The stream delivered an event or a bookmark. */
  activity(): void;
}

type Done = (err: unknown) => void;

/**
 * The Watch that ListWatch drives, made controllable from outside. ListWatch cannot cancel a stream or a
 * list it has started, reports its own aborts as errors, and opens a stream at the end of every list it
 * began; so each stream belongs to a generation, anything a stale generation reports is dropped, and a
 * stream is opened only against a grant (one per connect, reconnect or re-list), which keeps it to at
 * most one stream at a time whatever ListWatch still has in flight.
 */
export class GuardedWatch extends Watch {
  private generation = 0;
  private grants = 0;
  private closed = false;
  private current: AbortController | undefined;
  private currentDone: Done | undefined;

  constructor(
    kc: KubeConfig,
    private readonly hooks: GuardedWatchHooks,
  ) {
    super(kc);
  }

  /** Drops the stream in flight and everything it may still report; the next stream needs `grant`. */
  invalidate(): void {
    this.generation++;
    this.grants = 0;
    this.current?.abort();
    this.current = undefined;
    this.currentDone = undefined;
  }

  /** Allows exactly one stream to open. */
  grant(): void {
    if (!this.closed) this.grants = 1;
  }

  /** No stream opens after this. */
  close(): void {
    this.closed = true;
    this.invalidate();
  }

  /**
   * Ends the open stream as the API server does when a resourceVersion is too old (410 Gone), which is
   * how ListWatch is told to list again. False when no stream is open.
   */
  relist(): boolean {
    const done = this.currentDone;
    if (!done) return false;
    this.invalidate();
    this.grant();
    done({ statusCode: 410 });
    return true;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    // biome-ignore lint/suspicious/noExplicitAny: Watch's own signature; objects are whatever the API server sent.
    callback: (phase: string, apiObj: any, watchObj?: any) => void,
    done: Done,
  ): Promise<AbortController> {
    if (this.closed || this.grants < 1) {
      const refused = new AbortController();
      refused.abort();
      return refused;
    }
    this.grants--;
    const generation = this.generation;
    const live = () => generation === this.generation;
    const openedAt = Date.now();
    let ended = false;
    this.currentDone = done;
    this.hooks.opened();
    let controller: AbortController;
    try {
      controller = await super.watch(
        path,
        { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: this.hooks.timeoutSeconds },
        (phase, obj, raw) => {
          // ListWatch dereferences every event's object; a line without one would throw inside it.
          if (!live() || typeof obj !== 'object' || obj === null) return;
          this.hooks.activity();
          callback(phase, obj, raw);
        },
        (err: unknown) => {
          ended = true;
          if (!live()) return;
          this.current = undefined;
          this.currentDone = undefined;
          if (!err && Date.now() - openedAt < this.hooks.minWatchMs) {
            done(new Error(`watch ${path} was closed as soon as it opened`));
            return;
          }
          // ListWatch reconnects by itself after a clean close (or re-lists after a 410): allow that stream.
          this.grant();
          done(err);
        },
      );
    } catch (err) {
      // Watch throws only before any request is made (no cluster, credentials that cannot be had): that
      // is this stream's failure, reported like any other rather than as a rejection nobody handles.
      const failed = new AbortController();
      failed.abort();
      if (live() && !ended) {
        this.currentDone = undefined;
        done(err);
      }
      return failed;
    }
    if (!live()) controller.abort();
    else if (!ended) this.current = controller;
    return controller;
  }
}
