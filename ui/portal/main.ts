// The enterprise portal: a phone page served by desk-server at /portal/, opened mostly in
// WeChat's browser. Chinese first, English on request; the app's labels for categories and
// statuses, so both speak of an appeal in the same words.
import { createApp } from 'vue'
import { createI18n } from 'vue-i18n'
import { Button, Cell, CellGroup, Empty, Field, Form, NavBar, Popup, Step, Steps, Switch, Tag, Loading } from 'vant'
// Each component's styles only (Vant's manual on-demand import), not the whole library's.
import 'vant/es/button/style/index'
import 'vant/es/cell/style/index'
import 'vant/es/cell-group/style/index'
import 'vant/es/empty/style/index'
import 'vant/es/field/style/index'
import 'vant/es/form/style/index'
import 'vant/es/nav-bar/style/index'
import 'vant/es/popup/style/index'
import 'vant/es/step/style/index'
import 'vant/es/steps/style/index'
import 'vant/es/switch/style/index'
import 'vant/es/tag/style/index'
import 'vant/es/loading/style/index'
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
  .use(Popup)
  .use(Step)
  .use(Steps)
  .use(Switch)
  .use(Tag)
  .use(Loading)
  .mount('#app')
