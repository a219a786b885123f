// The deliberation desk (议事桌): suggested groups taken up as policy issues, and deliberation
// recorded with its conclusion; errors shown beside the field they name.
import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks'
import Policy from '../src/screens/Policy.vue'
import type { PolicyAppeal, PolicyIssueView, Stats, SuggestedGroup } from '../src/lib/types'

// The nav bar measures itself three times in its first 300 ms: let it finish before the
// environment goes.
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 350))
  clearMocks()
})

const appeal = (id: string, site: string, description: string): PolicyAppeal => ({
  id, site_id: `s-${site}`, site_name: site, category: 'utilities', status: 'received', description, raised_on: '2024-11-01',
})

const group: SuggestedGroup = {
  appeals: [appeal('a1', '企业甲', '工业电价偏高，用电成本压力大'), appeal('a2', '企业乙', '电费太贵，希望争取电价优惠')],
  enterprises: ['企业甲', '企业乙'],
  category: 'utilities',
  similarity: 0.12,
}

function issueOf(status: 'open' | 'deliberated', conclusion: string | null = null): PolicyIssueView {
  return {
    issue: { id: 'p1', title: '工业电价偏高', description: null, category: 'utilities', status, conclusion, void_reason: null },
    appeals: group.appeals,
    enterprises: group.enterprises,
  }
}

// The figures as the stats command gives them, with the issues and the enterprises counted.
function figures(policy_issues: number, policy_enterprises: number): Stats {
  return {
    sessions: 0, visits: 0, consultations: 0, appeals: 2, appeals_resolved: 0, resolution_rate: 0, on_time_rate: null,
    overdue_appeals: 0, suggestions: 0, suggestions_adopted: 0, satisfaction_average: null, policy_issues, policy_enterprises,
    satisfaction_rate: null, dissatisfied: 0, follow_ups: 0, follow_ups_overdue: 0,
  }
}

describe('the deliberation desk', () => {
  it('takes up a suggested group as a policy issue, titled from its first appeal', async () => {
    let issues: PolicyIssueView[] = []
    let created: unknown = null
    mockIPC((cmd, args) => {
      if (cmd === 'policy_issues') return issues
      if (cmd === 'policy_suggestions') return issues.length ? [] : [group]
      if (cmd === 'stats') return figures(issues.length, issues.length ? 2 : 0)
      if (cmd === 'create_policy_issue') {
        created = (args as { issue: unknown }).issue
        issues = [issueOf('open')]
        return issues[0]
      }
    })
    const w = mount(Policy, { attachTo: document.body })
    await flushPromises()
    const card = w.find('[data-test=policy-suggestion]')
    expect(card.text()).toContain('2 家企业反映同类问题 · 2 件')
    expect(card.text()).toContain('企业甲、企业乙')
    await w.find('[data-test=policy-take-up-0]').trigger('click')
    await flushPromises()
    const input = document.querySelector('[data-test=policy-title] input') as HTMLInputElement
    expect(input.value).toBe('工业电价偏高')
    ;(document.querySelector('[data-test=policy-take-up-dialog] .van-dialog__confirm') as HTMLElement).click()
    await flushPromises()
    expect(created).toEqual({ title: '工业电价偏高', appeal_ids: ['a1', 'a2'] })
    expect(w.find('[data-test=policy-issue]').text()).toContain('2 件诉求 · 2 家企业')
    expect(w.find('[data-test=policy-issue-status]').text()).toBe('待议')
    expect(w.find('[data-test=policy-counts]').text()).toBe('1 个议题 · 涉及 2 家企业')
    w.unmount()
  })

  it('asks for the conclusion again when it was left empty, and records it', async () => {
    let issue = issueOf('open')
    const sent: unknown[] = []
    mockIPC((cmd, args) => {
      if (cmd === 'policy_issues') return [issue]
      if (cmd === 'policy_suggestions') return []
      if (cmd === 'stats') return figures(1, 2)
      if (cmd === 'change_policy_issue') {
        const change = (args as { change: { conclusion: string } }).change
        sent.push(change)
        if (!change.conclusion.trim()) throw { code: 'required', field: 'conclusion', params: {}, message: 'conclusion：必填 (required)' }
        issue = issueOf('deliberated', change.conclusion)
        return issue
      }
    })
    const w = mount(Policy, { attachTo: document.body })
    await flushPromises()
    await w.find('[data-test=policy-deliberate]').trigger('click')
    await flushPromises()
    const confirm = () => (document.querySelector('[data-test=policy-conclude-dialog] .van-dialog__confirm') as HTMLElement).click()
    confirm()
    await flushPromises()
    expect(document.querySelector('[data-test=policy-conclusion-input]')?.textContent).toContain('必填')
    const area = document.querySelector('[data-test=policy-conclusion-input] textarea') as HTMLTextAreaElement
    area.value = '协调供电公司执行直供电价'
    area.dispatchEvent(new Event('input'))
    confirm()
    await flushPromises()
    expect(sent).toHaveLength(2)
    expect(w.find('[data-test=policy-issue-status]').text()).toBe('已议定')
    expect(w.find('[data-test=policy-conclusion]').text()).toContain('协调供电公司执行直供电价')
    w.unmount()
  })
})
