import zh from '../src/locales/zh-CN'
import en from '../src/locales/en'

const portalZh = {
  title: '流动办公桌 · 企业服务',
  intro: '查看贵单位所提诉求的办理进度。访问码由管委会发放，遗失可请管委会重新生成。',
  creditCode: '统一社会信用代码',
  creditCodeHint: '18 位，见营业执照',
  accessCode: '访问码',
  accessCodeHint: '如 7K2M-9QXP-4RTD',
  signIn: '登录',
  signOut: '退出',
  required: '请填写{field}',
  offline: '网络不通，请稍后再试',
  wrong: '统一社会信用代码或访问码不正确',
  tooMany: '尝试次数过多，请 {secs} 秒后再试',
  expired: '登录已过期，请重新登录',
  mine: '我的诉求',
  open: '办理中 {n} 件',
  done: '已办结 {n} 件',
  none: '暂无诉求记录',
  raised: '提出',
  department: '承办',
  deadline: '期限',
  resolved: '办结',
  rating: '满意度',
  steps: '办理过程',
  noSteps: '已受理，等待派单',
  language: 'English',
}

const portalEn: typeof portalZh = {
  title: 'Mobile Desk · Enterprise service',
  intro: 'Follow the appeals your enterprise raised. The zone office issues the access code; ask it for a new one if lost.',
  creditCode: 'Unified social credit code',
  creditCodeHint: '18 characters, on the business licence',
  accessCode: 'Access code',
  accessCodeHint: 'e.g. 7K2M-9QXP-4RTD',
  signIn: 'Sign in',
  signOut: 'Sign out',
  required: 'Enter the {field}',
  offline: 'No connection; try again later',
  wrong: 'Wrong credit code or access code',
  tooMany: 'Too many attempts; try again in {secs} s',
  expired: 'Your session ended; sign in again',
  mine: 'Our appeals',
  open: '{n} in progress',
  done: '{n} resolved',
  none: 'No appeals yet',
  raised: 'Raised',
  department: 'Handled by',
  deadline: 'Due',
  resolved: 'Resolved',
  rating: 'Rating',
  steps: 'Progress',
  noSteps: 'Received; waiting to be dispatched',
  language: '中文',
}

// The app's words for categories, statuses and days left, so an appeal reads the same on both.
export const messages = {
  'zh-CN': { portal: portalZh, category: zh.category, status: zh.status, ledger: zh.ledger },
  en: { portal: portalEn, category: en.category, status: en.status, ledger: en.ledger },
}
