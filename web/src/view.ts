/** What every view receives from the router. */
export interface ViewContext {
  /** The view's container (inside <main>). */
  root: HTMLElement;
  /** Path parameters, e.g. the event id. */
  params: string[];
  /** The part of the hash after `?`. */
  query: URLSearchParams;
  /** Aborted when the user leaves the view: pass to fetches, check after awaits. */
  signal: AbortSignal;
  /** Runs when the user leaves the view (leave rooms, stop timers, unsubscribe). */
  onCleanup(fn: () => void): void;
  /** Sets the page title and returns an <h1> the router focuses after navigation. */
  heading(text: string, testId?: string): HTMLHeadingElement;
}

export type View = (ctx: ViewContext) => void | Promise<void>;
