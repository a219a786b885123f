// Test data only: `node gen.mjs N > FILE.ndjson` writes N appeal-shaped records, one JSON object a line.
import { randomUUID } from 'node:crypto';

const n = Number(process.argv[2] ?? 1000);
const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];
const pad = (x) => String(x).padStart(2, '0');

const phrases = [
  '企业反映厂区道路破损，雨天积水严重，影响货车进出，希望尽快协调维修。',
  '园区供电线路老化，近一个月已停电三次，生产线多次被迫中断，损失较大。',
  '新建厂房消防验收迟迟未能完成，企业无法按期投产，请求相关部门加快办理。',
  '企业招工困难，一线操作工缺口约五十人，希望人社部门组织专场招聘会。',
  '厂区周边污水管网尚未接通，生活污水只能临时外运，费用较高。',
  '去年申报的技改补贴至今未拨付，企业资金周转紧张，盼望尽快兑现。',
  '项目用地规划调整方案已提交两个月，目前仍无答复，影响后续施工许可办理。',
  '天然气供应压力不足，冬季高峰时段锅炉无法正常运行。',
  '企业希望银行在贷款续贷时简化手续，缓解短期流动资金压力。',
  '园区公交班次过少，员工上下班通勤不便，夜班职工尤其困难。',
  '厂门口路灯损坏已久，夜间照明不足，存在安全隐患。',
  '环评审批材料多次退回补正，企业对具体要求不够清楚，希望给予指导。',
  '周边工地夜间施工噪音较大，影响员工宿舍休息，请协调限制作业时间。',
  '企业出口退税办理周期较长，希望税务部门优化流程。',
  '绿化带树木遮挡交通标志，车辆进出路口视线受阻。',
  '企业网络带宽不足，远程办公和视频会议经常卡顿，希望运营商扩容。',
];
const subjects = ['厂区道路', '供电线路', '消防验收', '用工招聘', '污水管网', '技改补贴', '用地规划',
  '天然气供应', '贷款续贷', '公交班次', '路灯照明', '环评审批', '施工噪音', '出口退税', '交通标志', '网络带宽'];
const asks = ['问题亟待协调解决', '相关诉求请予办理', '情况反映及处理建议', '事项需加快推进办理'];
const categories = ['infrastructure', 'utilities', 'land', 'environment', 'approval', 'policy', 'finance', 'labour', 'other'];
const statuses = ['received', 'dispatched', 'in_progress', 'resolved', 'rectifying', 'confirmed'];
const departments = ['住建局', '发改局', '自然资源局', '生态环境局', '人社局', '税务局', '供电公司', '交通局', '园区管委会', '城管局'];
const sites = Array.from({ length: 200 }, () => randomUUID());

// About 200 characters: whole phrases until the text reaches 190.
function description() {
  let s = '';
  while (s.length < 190) s += pick(phrases);
  return s;
}

function date(daysFromNow) {
  const d = new Date(Date.now() + daysFromNow * 86400e3);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

const lines = [];
for (let i = 0; i < n; i++) {
  const raised = new Date(Date.now() - Math.random() * 365 * 86400e3);
  lines.push(JSON.stringify({
    id: randomUUID(),
    title: `${pick(subjects)}${pick(asks)}（${i % 1000}号）`,
    description: description(),
    category: pick(categories),
    status: pick(statuses),
    department: pick(departments),
    deadline: date(Math.floor(Math.random() * 90)),
    site_id: pick(sites),
    raised_at: raised.toISOString().replace(/\.\d+Z$/, 'Z'),
  }));
  if (lines.length === 1000 || i === n - 1) process.stdout.write(lines.splice(0).join('\n') + '\n');
}
