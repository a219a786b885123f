import { config } from '@vue/test-utils'
import Vant from 'vant'
import { i18n } from '../src/i18n'

config.global.plugins = [Vant, i18n]

// jsdom has no media queries. A test that wants the desk's wide layout sets `desktop` first;
// otherwise every query answers "no" (a tablet held by a finger).
export const media = { desktop: false }
window.matchMedia = (query: string) =>
  ({
    matches: media.desktop && query.includes('min-width'),
    media: query,
    onchange: null,
    addEventListener: () => {},
    removeEventListener: () => {},
    addListener: () => {},
    removeListener: () => {},
    dispatchEvent: () => false,
  }) as MediaQueryList
