// Where the app is, kept in the address: the back gesture and Escape go back one page inside
// the app, and never out of a visit in progress.
import { beforeAll, describe, expect, it } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import type { Router } from 'vue-router'
import { closePage, createNav, nav, openPage, pathOf, placeOf, selectTab, type Page } from '../src/lib/nav'

// history.back() lands with a popstate event, a moment later.
const settle = async () => {
  await new Promise((r) => setTimeout(r, 30))
  await flushPromises()
}

describe('addresses', () => {
  it('name every place, and an unknown one is Today', () => {
    const pages: (Page | null)[] = [
      null,
      { name: 'visit', draftId: 'd1' },
      { name: 'session', sessionId: 's1' },
      { name: 'session', sessionId: null },
      { name: 'policy' },
      { name: 'admin' },
    ]
    for (const page of pages) expect(placeOf(pathOf('ledger', page))).toEqual({ tab: 'ledger', page })
    expect(placeOf('/nowhere/at/all')).toEqual({ tab: 'today', page: null })
    expect(placeOf('/')).toEqual({ tab: 'today', page: null })
  })
})

describe('back', () => {
  let router: Router
  beforeAll(async () => {
    router = createNav()
    await router.push('/today')
    await router.isReady()
  })

  it('goes back one page, then the page is closed and the tab shown', async () => {
    selectTab('ledger')
    await settle()
    openPage({ name: 'policy' })
    await settle()
    expect(window.location.hash).toBe('#/ledger/policy')
    router.back() // the system's back gesture
    await settle()
    expect(nav.page).toBeNull()
    expect(nav.tab).toBe('ledger')
    expect(window.location.hash).toBe('#/ledger')
  })

  it('Escape goes back one page too', async () => {
    openPage({ name: 'session', sessionId: null })
    await settle()
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }))
    await settle()
    expect(nav.page).toBeNull()
  })

  it('never closes a visit in progress: the gesture is refused and the visit says how to leave', async () => {
    selectTab('today')
    await settle()
    openPage({ name: 'visit', draftId: 'd7' })
    await settle()
    const held = nav.held
    router.back()
    await settle()
    expect(nav.page).toEqual({ name: 'visit', draftId: 'd7' })
    expect(nav.held).toBe(held + 1)
    expect(window.location.hash).toBe('#/today/visit/d7')
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }))
    await settle()
    expect(nav.page).toEqual({ name: 'visit', draftId: 'd7' })
    // Its own Back button closes it.
    closePage()
    await settle()
    expect(nav.page).toBeNull()
    expect(window.location.hash).toBe('#/today')
  })

  it('a tab replaces the address, so back leaves pages, not tabs', async () => {
    const depth = window.history.length
    selectTab('figures')
    await settle()
    selectTab('sites')
    await settle()
    expect(window.history.length).toBe(depth)
    expect(window.location.hash).toBe('#/sites')
  })
})
