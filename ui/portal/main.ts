// The enterprise portal: a phone page served by desk-server at /portal/, opened mostly in
// WeChat's browser. Chinese first, English on request; the app's labels for categories and
// statuses, so both speak of an appeal in the same words.
import { createApp } from 'vue'
import { createI18n } from 'vue-i18n'
import { Button, Cell, CellGroup, Empty, Field, Form, NavBar, Step, Steps, Tag, Loading } from 'vant'
import 'vant/lib/index.css'
import App from './App.vue'
import { messages } from './messages'

const i18n = createI18n({
  legacy: false,
  locale: localStorage.getItem('desk-portal-locale') ?? 'zh-CN',
  fallbackLocale: 'zh-CN',
  messages,
})

createApp(App)
  .use(i18n)
  .use(Button)
  .use(Cell)
  .use(CellGroup)
  .use(Empty)
  .use(Field)
  .use(Form)
  .use(NavBar)
  .use(Step)
  .use(Steps)
  .use(Tag)
  .use(Loading)
  .mount('#app')
