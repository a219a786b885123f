import { createApp } from 'vue'
import Vant from 'vant'
import 'vant/lib/index.css'
import './style.css'
import App from './App.vue'
import { i18n } from './i18n'
import { createNav } from './lib/nav'

createApp(App).use(Vant).use(i18n).use(createNav()).mount('#app')
