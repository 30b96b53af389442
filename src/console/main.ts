/**
 * The web console's entry: shows one view at a time (Try it, Watch it, Operate it) from the URL's
 * hash, and starts each view's code. Served by `switchboard serve` at /console; loads nothing
 * from elsewhere.
 */
import { startOperateView } from './operate-view.js';
import { startTryView } from './try-view.js';
import { startWatchView, type WatchView } from './watch-view.js';

const VIEWS = ['try', 'watch', 'operate'] as const;
type View = (typeof VIEWS)[number];

/** The view the URL's hash names; undefined for any other hash (the skip link's #main). */
function viewInHash(): View | undefined {
  const name = location.hash.slice(1);
  return (VIEWS as readonly string[]).includes(name) ? (name as View) : undefined;
}

function show(view: View, watch: WatchView, moveFocus: boolean): void {
  for (const section of document.querySelectorAll<HTMLElement>('[data-view]')) section.hidden = section.dataset.view !== view;
  for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-view-link]')) {
    if (link.dataset.viewLink === view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  // Stats are polled only while they are on screen.
  if (view === 'watch') watch.resume();
  else watch.pause();
  document.title = `Switchboard console · ${view === 'try' ? 'Try it' : view === 'watch' ? 'Watch it' : 'Operate it'}`;
  if (moveFocus) document.getElementById(`${view}-title`)?.parentElement?.focus();
}

function start(): void {
  startTryView();
  startOperateView();
  const watch = startWatchView();
  for (const section of document.querySelectorAll<HTMLElement>('[data-view]')) section.tabIndex = -1;
  show(viewInHash() ?? 'try', watch, false);
  addEventListener('hashchange', () => {
    const view = viewInHash();
    if (view !== undefined) show(view, watch, true);
  });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
