import { config } from '@vue/test-utils'
import Vant from 'vant'
import { i18n } from '../src/i18n'

config.global.plugins = [Vant, i18n]
