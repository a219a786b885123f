// Where the app is: a tab of the bottom bar, and over it at most one full-screen page (visit
// capture, a session being planned, the deliberation desk, administration). Screens open pages
// through these functions. The place is also the address (vue-router, hash history), so the
// system's back gesture (Android) and Escape go back one page inside the app, as a browser's
// back button would, instead of leaving it.
import { reactive } from 'vue'
import { createRouter, createWebHashHistory, type Router } from 'vue-router'

export type Tab = 'today' | 'ledger' | 'sites' | 'figures' | 'sync'
export type Page =
  | { name: 'visit'; draftId: string }
  | { name: 'session'; sessionId: string | null }
  | { name: 'policy' }
  | { name: 'admin' }

// `synced` counts the syncs that brought the device up to date: screens showing records read
// them again when it moves, so a change made elsewhere appears without anyone asking.
// `held` counts the times a back gesture was refused on a visit in progress, for the visit
// screen to say how to leave it.
export const nav = reactive<{ tab: Tab; page: Page | null; synced: number; held: number }>({
  tab: 'today',
  page: null,
  synced: 0,
  held: 0,
})

const TABS: readonly Tab[] = ['today', 'ledger', 'sites', 'figures', 'sync']

/** The address of a place: `/ledger`, `/today/visit/ID`, `/today/session/new`, … */
export function pathOf(tab: Tab, page: Page | null): string {
  if (!page) return `/${tab}`
  switch (page.name) {
    case 'visit':
      return `/${tab}/visit/${page.draftId}`
    case 'session':
      return `/${tab}/session/${page.sessionId ?? 'new'}`
    default:
      return `/${tab}/${page.name}`
  }
}

/** The place an address names; an address the app does not know is Today. */
export function placeOf(path: string): { tab: Tab; page: Page | null } {
  const [first, name, id] = path.split('/').filter(Boolean)
  const tab = TABS.find((t) => t === first) ?? 'today'
  const page: Page | null =
    name === 'visit' && id ? { name: 'visit', draftId: id }
      : name === 'session' ? { name: 'session', sessionId: id && id !== 'new' ? id : null }
        : name === 'policy' || name === 'admin' ? { name }
          : null
  return { tab, page }
}

let router: Router | null = null
// Set while the app itself closes a page (its own buttons, a tab): the one way out of a visit
// in progress. A back gesture there is refused: the draft is safe, but no one asked to leave.
let closing = false

/** The router the app installs; without it (component tests) the place is only `nav`. */
export function createNav(): Router {
  const r = createRouter({
    history: createWebHashHistory(),
    routes: [{ path: '/:place(.*)*', component: { render: () => null } }],
  })
  r.beforeEach((to, from) => {
    const inVisit = placeOf(from.path).page?.name === 'visit'
    const toSameVisit = placeOf(to.path).page?.name === 'visit' && to.path === from.path
    if (inVisit && !toSameVisit && !closing && from.matched.length > 0) {
      nav.held++
      return false
    }
    return true
  })
  r.afterEach((to, _from, failure) => {
    closing = false
    if (failure) return
    const place = placeOf(to.path)
    nav.tab = place.tab
    nav.page = place.page
  })
  window.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && nav.page) r.back()
  })
  router = r
  return r
}

/** Shows a tab, closing any page over it. The address is replaced, not added to: back leaves
 * pages, not tabs. */
export function selectTab(tab: Tab) {
  nav.tab = tab
  nav.page = null
  if (!router) return
  closing = true
  void router.replace(pathOf(tab, null))
}

export function openPage(page: Page) {
  nav.page = page
  void router?.push(pathOf(nav.tab, page))
}

export function closePage() {
  nav.page = null
  if (!router) return
  closing = true
  // Back to the entry the page was opened from, when there is one; otherwise (the app started
  // on a page) the tab's own address takes its place.
  if (window.history.state?.back) router.back()
  else void router.replace(pathOf(nav.tab, null))
}
