import { createI18n } from 'vue-i18n'
import zh from './locales/zh-CN'
import en from './locales/en'

// Chinese first; English for whoever switches.
export const i18n = createI18n({ legacy: false, locale: 'zh-CN', fallbackLocale: 'zh-CN', messages: { 'zh-CN': zh, en } })
