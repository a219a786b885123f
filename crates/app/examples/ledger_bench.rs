//! The desk's ledger at size (not a test): `cargo xtask bench`. Prints Markdown for
//! docs/BENCHMARKS.md.
//!
//! A device holding N appeals of real size (a ~200-character Chinese description each) over
//! 500 sites, written through the store's own writer; the fields only actions change
//! (status, deadline) are then spread over the ledger with one SQL update, as years of actions
//! would leave them.
//!
//! - pages of the ledger through the app's engine (`Desk::ledger`, as the window calls it):
//!   walking 200 pages deep in each order, filtered and searched;
//! - the XLSX export through the real `desk` binary (`desk export ledger --xlsx`), its time
//!   and its peak memory (VmHWM, read from /proc while it runs).
//!
//! - the deliberation desk's grouping of alike appeals (`Desk::policy_suggestions`) over 10,000
//!   appeals of varied text, beside the same grouping comparing every group (no prefix filter).
//!
//! `ledger_bench [N...] [--desk PATH]`; default 10000 100000.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use desk_app::{Desk, LedgerFilter};
use desk_core::cluster;
use desk_core::model::*;
use desk_store::{LedgerOrder, LedgerSort, Store};
use uuid::Uuid;

const DESCRIPTION: &str = "企业反映园区主干道夜间照明严重不足，路灯损坏已有三个多月未修复，\
    员工下夜班步行回宿舍存在安全隐患，货车夜间进出厂区也多次发生剐蹭。企业曾向物业和社区反映，\
    至今没有答复。希望管委会协调城管、供电等部门尽快修复路灯，并在厂区出入口增设交通标志和减速带，\
    同时考虑延长园区公交末班车时间，方便员工通勤。企业表示愿意配合施工期间的交通管制安排，\
    并承担厂区门前路段的部分绿化养护费用。";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let desk_bin = args
        .iter()
        .position(|a| a == "--desk")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::current_exe()
                .unwrap()
                .parent()
                .and_then(Path::parent)
                .unwrap()
                .join("desk")
        });
    let sizes: Vec<usize> = args
        .iter()
        .take_while(|a| *a != "--desk")
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000]
    } else {
        sizes
    };
    println!("## The desk's ledger ({})\n", machine());
    println!(
        "Each description {} characters.\n",
        DESCRIPTION.chars().count()
    );
    for n in sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        let t = Instant::now();
        fill(dir.path(), n);
        println!(
            "### {n} appeals (written in {:.1} s)\n",
            t.elapsed().as_secs_f64()
        );
        pages(dir.path());
        export(dir.path(), &desk_bin, n);
    }
    policy(10_000);
}

/// Problems many enterprises raise, each by a few words any wording of it uses.
const PROBLEMS: [[&str; 4]; 24] = [
    ["电价", "用电成本", "电费", "工业用电"],
    ["停车位", "停车难", "车位", "停车场"],
    ["招工难", "一线工人", "普工", "招聘会"],
    ["公交班次", "末班车", "通勤", "夜班员工"],
    ["贷款", "流动资金", "融资担保", "银行"],
    ["天然气", "用气价格", "燃气管网", "供气"],
    ["物流成本", "货运车辆", "限行", "通行证"],
    ["污水管网", "排水", "管网接入", "雨污分流"],
    ["子女入学", "学位", "就近入学", "外来员工"],
    ["人才公寓", "住房", "租房补贴", "宿舍"],
    ["土地证", "不动产登记", "产权证", "办证"],
    ["环评审批", "排污许可", "环评", "审批时限"],
    ["出口退税", "退税进度", "税务", "退税"],
    ["网络信号", "宽带", "5G基站", "通信"],
    ["路灯", "夜间照明", "道路破损", "修补路面"],
    ["食堂", "就餐", "餐饮网点", "饭菜"],
    ["消防验收", "验收排期", "消防", "投产"],
    ["高新技术企业", "认定", "申报材料", "研发费用"],
    ["技改补贴", "设备更新", "补贴资金", "兑现"],
    ["标准厂房", "厂房租金", "扩产", "用地指标"],
    ["供水压力", "停水", "水压不足", "自来水"],
    ["医保", "社保缴费", "社保", "参保"],
    ["专利", "知识产权", "侵权", "维权"],
    ["检验检测", "送检", "检测周期", "质检"],
];
/// What enterprises make: a material or a field and a product, as a zone of several hundred
/// enterprises has.
const MATERIALS: [&str; 20] = [
    "铝合金",
    "不锈钢",
    "碳纤维",
    "塑料",
    "陶瓷",
    "玻璃",
    "木质",
    "橡胶",
    "锂电",
    "硅基",
    "生物",
    "有机",
    "纳米",
    "智能",
    "数控",
    "光学",
    "冷链",
    "环保",
    "医用",
    "新能源",
];
const PRODUCTS: [&str; 20] = [
    "轮毂",
    "管材",
    "板材",
    "薄膜",
    "包装盒",
    "传感器",
    "电机",
    "阀门",
    "轴承",
    "线缆",
    "涂料",
    "面板",
    "模具",
    "滤芯",
    "泵体",
    "齿轮",
    "饲料",
    "药剂",
    "家具",
    "灯具",
];
const ROADS: [&str; 16] = [
    "经开大道",
    "创业路",
    "科技路",
    "民营路",
    "工业大道",
    "纬二路",
    "经三路",
    "汉江路",
    "发展大道",
    "星火路",
    "金桥路",
    "望城路",
    "长岗路",
    "裕民路",
    "通港路",
    "新华路",
];
/// Matters about the enterprise's own premises: a thing, and what is wrong with it.
const THINGS: [&str; 30] = [
    "厂区围墙",
    "屋顶",
    "变压器",
    "排水沟",
    "门前绿化带",
    "厂区大门",
    "配电房",
    "污水井",
    "消防通道",
    "化粪池",
    "围挡",
    "宿舍楼",
    "仓库",
    "锅炉房",
    "门卫室",
    "路牌",
    "红绿灯",
    "公交站台",
    "垃圾站",
    "监控探头",
    "雨棚",
    "地磅",
    "电梯",
    "食堂油烟",
    "冷却塔",
    "烟囱",
    "展厅",
    "车间地坪",
    "货运电梯",
    "办公楼外墙",
];
const FAULTS: [&str; 20] = [
    "破损",
    "渗水",
    "噪音扰民",
    "年久失修",
    "被占用",
    "手续不全",
    "验收迟迟未办",
    "位置不合理",
    "异味明显",
    "存在安全隐患",
    "审批卡在环节上",
    "建设进度慢",
    "产权不清",
    "规划未批",
    "费用分摊有争议",
    "整改期限太短",
    "设计不符合要求",
    "维修无人负责",
    "被邻近单位投诉",
    "影响货车进出",
];
/// How an appeal opens: the enterprise, in varied words; {p} its product, {r} its road.
const OPENINGS: [&str; 8] = [
    "企业位于{r}，主要生产{p}，",
    "该公司在{r}有两处厂区，主营{p}，",
    "走访中企业负责人介绍，公司{p}生产线满负荷运转，",
    "{p}项目一期已投产，厂区在{r}，",
    "企业生产的{p}销往全国各地，",
    "公司是园区重点培育的{p}企业，",
    "{r}上的这家{p}企业近两年订单增长较快，",
    "企业负责人陪同查看了{p}车间，",
];
/// The problem, in varied words: {a} and {b} are two of its words.
const ASKS: [&str; 10] = [
    "近期{a}问题比较突出，{b}方面压力较大，希望管委会帮助协调。",
    "企业反映{a}，{b}已影响正常生产经营，希望相关部门尽快解决。",
    "{a}的问题持续了一段时间，企业多次反映，{b}仍未落实。",
    "希望在{a}和{b}上给予支持，帮助企业降低经营成本。",
    "目前{a}已成为企业扩大生产的主要制约，{b}需要进一步推动。",
    "企业提出{a}和{b}两方面诉求，希望尽快给予答复。",
    "说起{a}，负责人很着急，{b}这件事拖了大半年。",
    "职工反映最多的是{a}，{b}也一直没有着落。",
    "{a}让企业很头疼，去年为{b}跑了好几趟。",
    "企业算了一笔账，{a}一项每年多支出不少，{b}也亟待改善。",
];
const CLOSINGS: [&str; 8] = [
    "企业表示将继续扩大投资，争取明年产值再上新台阶。",
    "企业对园区服务总体满意，希望今后多到企业走访。",
    "公司计划明年新上两条生产线，届时将新增就业岗位。",
    "企业负责人表示愿意配合园区做好安全生产和环保工作。",
    "企业希望园区继续搭建产销对接平台，帮助开拓市场。",
    "企业正在申报省级专精特新企业，希望得到指导。",
    "走访结束时双方约定下月再碰一次面。",
    "现场答复将在五个工作日内给出办理意见。",
];

/// A ~200-character description, and the matter it is about: three in ten about one of the
/// recurring PROBLEMS (labels 0–23, two of its words in one of the asks' wordings), the rest
/// about one of the THINGS, with one of its FAULTS (labels from 100, one per thing).
fn varied(i: usize) -> (String, usize) {
    let r = |k: usize| (i.wrapping_mul(2_654_435_761).wrapping_add(k * 40_503) >> 7) % 1_000_003;
    let product = format!("{}{}", MATERIALS[r(1) % 20], PRODUCTS[r(2) % 20]);
    let mut text = OPENINGS[r(3) % OPENINGS.len()]
        .replace("{p}", &product)
        .replace("{r}", ROADS[r(4) % ROADS.len()]);
    let label = if i % 10 < 3 {
        let k = r(5) % PROBLEMS.len();
        let p = PROBLEMS[k];
        let (a, b) = (p[r(6) % 4], p[(r(6) + 1 + r(7) % 3) % 4]);
        text += &ASKS[r(8) % ASKS.len()].replace("{a}", a).replace("{b}", b);
        k
    } else {
        let (t, f) = (r(9) % THINGS.len(), r(10) % FAULTS.len());
        text += &format!("{}{}，", THINGS[t], FAULTS[f]);
        text += &ASKS[r(8) % ASKS.len()]
            .replace("{a}", THINGS[t])
            .replace("{b}", "整改");
        100 + t
    };
    let mut k = 12;
    while text.chars().count() < 190 {
        text += CLOSINGS[r(k) % CLOSINGS.len()];
        k += 1;
    }
    (text, label)
}

/// The category an official files the appeal about matter `label` under: each matter has its
/// own, and one appeal in ten is filed under 其他 instead.
fn filed(i: usize, label: usize) -> Category {
    if i % 10 == 9 {
        Category::Other
    } else {
        Category::ALL[label % (Category::ALL.len() - 1)]
    }
}

/// The deliberation desk's suggestions over `n` appeals of varied text from 2,000 enterprises,
/// through the app's engine; then the grouping alone, how well its groups match the matters
/// the appeals were written about, and beside the same grouping comparing every group.
fn policy(n: usize) {
    let corpus: Vec<(String, usize)> = (0..n).map(varied).collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open_dir(dir.path()).expect("open");
    store
        .write(|w| {
            let sites: Vec<Uuid> = (0..2000)
                .map(|i| {
                    w.create(Site::enterprise(format!("随州市第{i}号科技有限公司")))
                        .map(|s| s.id)
                })
                .collect::<desk_store::Result<_>>()?;
            for (i, (text, label)) in corpus.iter().enumerate() {
                w.create(Appeal::raised(
                    sites[(i * 7919) % sites.len()],
                    chrono::Utc::now(),
                    filed(i, *label),
                    text.clone(),
                ))?;
            }
            Ok(())
        })
        .expect("appeals");
    drop(store);
    let chars: usize = corpus.iter().map(|(t, _)| t.chars().count()).sum();
    println!(
        "### The deliberation desk: alike appeals grouped, {n} appeals\n\n\
         Descriptions of {} characters on average from 2,000 enterprises: three in ten about \
         one of {} recurring problems, each in varied words, the rest about one of {} \
         matters (a thing and what is wrong with it); one in ten filed under 其他.\n",
        chars / n,
        PROBLEMS.len(),
        THINGS.len()
    );
    let desk = Desk::open(dir.path()).expect("open the desk");
    let (suggesting, groups) = p50_of_5(|| desk.policy_suggestions().expect("suggestions"));
    let largest = groups.first().map_or(0, |g| g.appeals.len());
    println!("| what | p50 of 5 | groups | largest |");
    println!("|---|---|---|---|");
    println!(
        "| `Desk::policy_suggestions` (read, group, the 30 largest with their sites) | {} | {} shown | {largest} appeals |",
        ms(suggesting),
        groups.len()
    );
    let items: Vec<cluster::Item> = corpus
        .iter()
        .enumerate()
        .map(|(i, (text, label))| cluster::Item {
            text,
            category: filed(i, *label),
            site: ((i * 7919) % 2000) as u128,
        })
        .collect();
    let (grouping, grouped) = p50_of_5(|| cluster::group(&items, cluster::THRESHOLD));
    println!(
        "| micro: `cluster::group` | {} | {} | {} appeals |",
        ms(grouping),
        grouped.len(),
        grouped.first().map_or(0, |g| g.members.len())
    );
    let (exhaustive, reference) =
        p50_of_5(|| cluster::group_exhaustively(&items, cluster::THRESHOLD));
    println!(
        "| micro, peer: `cluster::group_exhaustively` (every group compared, no prefix filter) | {} | {} | {} appeals |\n",
        ms(exhaustive),
        reference.len(),
        reference.first().map_or(0, |g| g.members.len())
    );
    println!(
        "The prefix-filtered grouping made {} the groups comparing every group makes.\n",
        if grouped == reference {
            "exactly"
        } else {
            "NOT"
        },
    );
    quality(&corpus, &grouped);
}

/// The median of five runs of `f`, and what the last returned.
fn p50_of_5<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(5);
    let mut out = None;
    for _ in 0..5 {
        let t = Instant::now();
        out = Some(f());
        times.push(t.elapsed());
    }
    times.sort();
    (times[2], out.expect("five runs"))
}

/// How the groups match the matters the appeals were written about, counted over pairs of
/// appeals: of the pairs put in one group, how many are about one matter (precision); of the
/// pairs about one matter, how many were put in one group (recall).
fn quality(corpus: &[(String, usize)], groups: &[cluster::Group]) {
    let pairs = |n: usize| n * n.saturating_sub(1) / 2;
    let mut matters: HashMap<usize, usize> = HashMap::new();
    for (_, label) in corpus {
        *matters.entry(*label).or_default() += 1;
    }
    let (mut together, mut right, mut members) = (0, 0, 0);
    for g in groups {
        let mut labels: HashMap<usize, usize> = HashMap::new();
        for m in &g.members {
            *labels.entry(corpus[*m].1).or_default() += 1;
        }
        together += pairs(g.members.len());
        right += labels.values().map(|n| pairs(*n)).sum::<usize>();
        members += g.members.len();
    }
    let alike: usize = matters.values().map(|n| pairs(*n)).sum();
    println!(
        "{members} of {} appeals are in a group. Pair precision {:.2}, pair recall {:.2} \
         ({} matters written about; a matter spread over several groups lowers recall).\n",
        corpus.len(),
        right as f64 / together.max(1) as f64,
        right as f64 / alike.max(1) as f64,
        matters.len()
    );
}

fn fill(dir: &Path, n: usize) {
    let mut store = Store::open(&dir.join("desk.db")).expect("open");
    let sites: Vec<Uuid> = store
        .write(|w| {
            (0..500)
                .map(|i| {
                    w.create(Site::enterprise(format!("随州市第{i}号新材料科技有限公司")))
                        .map(|s| s.id)
                })
                .collect()
        })
        .expect("sites");
    for chunk in 0..n.div_ceil(10_000) {
        store
            .write(|w| {
                for i in chunk * 10_000..((chunk + 1) * 10_000).min(n) {
                    w.create(Appeal {
                        urgency: if i % 9 == 0 {
                            Urgency::Urgent
                        } else {
                            Urgency::Normal
                        },
                        ..Appeal::raised(
                            sites[i % sites.len()],
                            chrono::Utc::now() - chrono::Duration::minutes(i as i64 * 7),
                            Category::ALL[i % Category::ALL.len()],
                            format!("第{i}件：{DESCRIPTION}"),
                        )
                    })?;
                }
                Ok(())
            })
            .expect("appeals");
    }
    drop(store);
    let conn = rusqlite::Connection::open(dir.join("desk.db")).expect("open");
    conn.execute_batch(
        "UPDATE appeals SET
           status = CASE rowid % 5 WHEN 0 THEN 'received' WHEN 1 THEN 'dispatched'
                    WHEN 2 THEN 'in_progress' WHEN 3 THEN 'resolved' ELSE 'confirmed' END,
           deadline = date('now', ((rowid * 7919) % 400 - 200) || ' days'),
           satisfaction = CASE WHEN rowid % 5 = 4 THEN 1 + rowid % 5 END;
         PRAGMA wal_checkpoint(TRUNCATE);",
    )
    .expect("spread the ledger");
    drop(conn);
    // Encrypted as a device's store is, before anything is measured.
    drop(Store::open_dir(dir).expect("encrypt the store"));
}

fn pages(dir: &Path) {
    let desk = Desk::open(dir).expect("open the desk");
    let search = |q: &str| LedgerFilter {
        search: Some(q.into()),
        ..LedgerFilter::default()
    };
    let cases: [(&str, LedgerFilter, LedgerOrder); 6] = [
        (
            "newest first",
            LedgerFilter::default(),
            order(LedgerSort::Raised, true),
        ),
        (
            "by deadline",
            LedgerFilter::default(),
            order(LedgerSort::Deadline, false),
        ),
        (
            "by status, descending",
            LedgerFilter::default(),
            order(LedgerSort::Status, true),
        ),
        (
            "dispatched only, by deadline",
            LedgerFilter {
                status: Some(AppealStatus::Dispatched),
                ..LedgerFilter::default()
            },
            order(LedgerSort::Deadline, false),
        ),
        (
            "searched for one enterprise (\"第7号\"), newest first",
            search("第7号"),
            order(LedgerSort::Raised, true),
        ),
        (
            "searched for a word in every appeal (\"路灯\"), newest first",
            search("路灯"),
            order(LedgerSort::Raised, true),
        ),
    ];
    println!(
        "Pages of 50 through the app's engine, walking up to 200 pages deep (the first page also \
         counts the matches):\n"
    );
    println!("| order | first page | p50 | p99 | max | pages |");
    println!("|---|---|---|---|---|---|");
    for (name, filter, order) in cases {
        let mut times = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..200 {
            let t = Instant::now();
            let page = desk.ledger(&filter, order, after.as_deref()).expect("page");
            times.push(t.elapsed());
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let first = times[0];
        times.sort();
        let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
        println!(
            "| {name} | {} | {} | {} | {} | {} |",
            ms(first),
            ms(at(0.5)),
            ms(at(0.99)),
            ms(*times.last().unwrap()),
            times.len()
        );
    }
    println!();
}

fn order(by: LedgerSort, descending: bool) -> LedgerOrder {
    LedgerOrder { by, descending }
}

/// The real `desk` binary exporting the whole ledger; its time and its peak resident memory.
fn export(dir: &Path, desk_bin: &Path, n: usize) {
    let out = dir.join("ledger.xlsx");
    let t = Instant::now();
    let mut child = Command::new(desk_bin)
        .arg("--data-dir")
        .arg(dir)
        .args(["export", "ledger", "--xlsx"])
        .arg(&out)
        .spawn()
        .expect("run desk");
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status) {
            if let Some(kb) = text
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
            {
                peak_kb = peak_kb.max(kb);
            }
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = t.elapsed();
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    println!("`desk export ledger --xlsx` of all {n} appeals:\n");
    println!("| time | peak RSS | file |");
    println!("|---|---|---|");
    println!(
        "| {:.2} s | {:.1} MiB | {:.1} MiB |\n",
        elapsed.as_secs_f64(),
        peak_kb as f64 / 1024.0,
        size as f64 / 1_048_576.0
    );
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores, release build")
}
