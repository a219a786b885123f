//! Appeals about the same problem, found by the likeness of their descriptions, for the
//! deliberation desk (议事桌): several enterprises' "电价偏高" or "停车难", each in its own words.
//!
//! A description becomes the set of its character bigrams (runs of CJK characters and
//! letters; digits, punctuation, spaces and the words of asking rather than of the problem,
//! [`BOILERPLATE`], break the text), less those in more than a tenth of the ledger, which say
//! nothing. Each bigram weighs `ln(1 + n / df)`: one few appeals share says more than one many
//! do. Two appeals of one category are alike when their weighted Jaccard similarity (the
//! weight they share over the weight of either) reaches [`THRESHOLD`]; the category is the
//! officials' own sorting, and keeps a shared setting (a product, a road) from passing for a
//! shared problem.
//!
//! Different enterprises' words for one problem share little (the fixture's pairs go as low as
//! 0.08, unrelated appeals up to 0.06), so the threshold is low, and MinHash with
//! locality-sensitive hashing would need hundreds of hashes per appeal to find pairs that far
//! apart. An exact set-similarity join with prefix filtering (AllPairs, Bayardo et al. 2007,
//! weighted) finds every pair instead: bigrams are ranked rarest first, and two sets alike at t
//! must share one among the rarest of each that weigh more than the rest by the bound below,
//! so the common bigrams, which would pair everything with everything, are never looked up.
//!
//! Alike appeals are then grouped as stars, not transitively: at a threshold this low, chains
//! of each-a-little-alike appeals join everything to everything (a first version made one
//! group of all 10,000 appeals in the benchmark).

use rustc_hash::FxHashMap;

use crate::model::Category;

/// The likeness from which two descriptions are taken to be about the same problem.
pub const THRESHOLD: f64 = 0.07;

/// Words of asking and of the setting that every appeal has, whatever its problem.
pub const BOILERPLATE: &[&str] = &[
    "企业",
    "公司",
    "我们",
    "我司",
    "希望",
    "协调",
    "园区",
    "管委会",
    "问题",
    "目前",
    "解决",
    "帮助",
    "相关",
    "部门",
    "政府",
    "需要",
    "反映",
    "建议",
    "尽快",
    "进一步",
    "存在",
    "情况",
    "要求",
    "表示",
    "工作",
    "方面",
    "一些",
    "没有",
    "已经",
    "能够",
    "是否",
    "比较",
    "非常",
    "由于",
    "因为",
    "所以",
    "但是",
    "如果",
    "可以",
    "支持",
    "给予",
    "影响",
    "造成",
    "导致",
    "较大",
    "很大",
    "严重",
    "现在",
    "一直",
    "还是",
    "这个",
    "有关",
    "落实",
    "推动",
];

/// One appeal to group: its description, its category and the enterprise that raised it.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub text: &'a str,
    pub category: Category,
    pub site: u128,
}

/// Appeals taken to be about one problem, as indices into the items given, in their order,
/// with the enterprises among them and the least likeness of a member to the group's head.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub members: Vec<usize>,
    pub sites: usize,
    pub similarity: f64,
}

/// The boilerplate words by their first character.
fn boilerplate() -> &'static FxHashMap<char, Vec<&'static str>> {
    static WORDS: std::sync::OnceLock<FxHashMap<char, Vec<&'static str>>> =
        std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        let mut words: FxHashMap<char, Vec<&str>> = FxHashMap::default();
        for word in BOILERPLATE {
            words
                .entry(word.chars().next().expect("a word"))
                .or_default()
                .push(word);
        }
        words
    })
}

/// Calls `each` with the bigrams of `text`'s runs of letters, two chars in one number (CJK
/// characters count as letters; digits, punctuation and spaces break a run, since numbers
/// tell nothing of the problem), boilerplate words cut out so no bigram straddles one.
fn bigrams(text: &str, mut each: impl FnMut(u64)) {
    let words = boilerplate();
    let mut previous: Option<char> = None;
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        let c = c.to_ascii_lowercase();
        if !c.is_alphabetic() {
            previous = None;
            continue;
        }
        let word = words
            .get(&c)
            .and_then(|candidates| candidates.iter().find(|w| text[at..].starts_with(**w)));
        if let Some(word) = word {
            // The word's first char is consumed; skip the rest.
            for _ in 1..word.chars().count() {
                chars.next();
            }
            previous = None;
            continue;
        }
        if let Some(p) = previous {
            each(((p as u64) << 21) | c as u64);
        }
        previous = Some(c);
    }
}

/// Each text's bigrams as (rank, weight), rarest in the ledger first (rank 0), with the weight
/// `ln(1 + n / df)` so a bigram few appeals share says more than one many do, and each set's
/// total weight; without the bigrams in more than a tenth of the texts (at least 50: a small
/// ledger keeps all).
struct Sets {
    sets: Vec<Vec<(u32, f32)>>,
    totals: Vec<f32>,
    /// How many distinct bigrams are ranked.
    ranks: usize,
}

fn weighted_sets(items: &[Item]) -> Sets {
    // Each distinct bigram gets an id as it is first met, so it is hashed once per occurrence.
    let mut ids: FxHashMap<u64, u32> = FxHashMap::default();
    let mut df: Vec<u32> = Vec::new();
    let sets: Vec<Vec<u32>> = items
        .iter()
        .map(|item| {
            let mut set = Vec::with_capacity(item.text.len() / 3);
            bigrams(item.text, |b| {
                let next = ids.len() as u32;
                set.push(*ids.entry(b).or_insert(next));
            });
            set.sort_unstable();
            set.dedup();
            for id in &set {
                match df.get_mut(*id as usize) {
                    Some(n) => *n += 1,
                    None => df.push(1),
                }
            }
            set
        })
        .collect();
    let n = items.len() as f32;
    let cap = (items.len() / 10).max(50) as u32;
    let mut vocabulary: Vec<(u32, u32)> = (0..df.len() as u32)
        .filter(|id| df[*id as usize] <= cap)
        .map(|id| (df[id as usize], id))
        .collect();
    vocabulary.sort_unstable();
    let mut rank: Vec<Option<(u32, f32)>> = vec![None; df.len()];
    for (r, (df, id)) in vocabulary.iter().enumerate() {
        rank[*id as usize] = Some((r as u32, (1.0 + n / *df as f32).ln()));
    }
    let sets: Vec<Vec<(u32, f32)>> = sets
        .iter()
        .map(|set| {
            let mut ranks: Vec<(u32, f32)> =
                set.iter().filter_map(|id| rank[*id as usize]).collect();
            ranks.sort_unstable_by_key(|r| r.0);
            ranks
        })
        .collect();
    let totals = sets.iter().map(|s| s.iter().map(|r| r.1).sum()).collect();
    Sets {
        sets,
        totals,
        ranks: vocabulary.len(),
    }
}

/// Weighted Jaccard, Σ shared / Σ either, of two sets sorted by rank.
fn likeness(a: &[(u32, f32)], b: &[(u32, f32)], wa: f32, wb: f32) -> f32 {
    let (mut i, mut j, mut shared) = (0, 0, 0.0f32);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += a[i].1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = wa + wb - shared;
    if union <= 0.0 {
        0.0
    } else {
        shared / union
    }
}

/// How many of `set`'s rarest bigrams to look up or index so that any set sharing at least
/// `least` weight with it shares one of them: the shortest prefix after which less than
/// `least` remains (a hair longer, so float rounding never drops a pair).
///
/// For x and y alike at t, with y no heavier than x (sets are taken lightest first) and
/// weights W: shared ≥ t/(1+t)·(Wx+Wy), so shared ≥ t·Wx, since Wy ≥ t·Wx, and shared ≥
/// 2t/(1+t)·Wy; x looks up its prefix for t·Wx and y was indexed by its prefix for
/// 2t/(1+t)·Wy. The rarest bigram they share lies in both.
fn prefix(set: &[(u32, f32)], total: f32, least: f32) -> usize {
    let mut rest = total;
    for (k, (_, w)) in set.iter().enumerate() {
        if rest < least * 0.999 {
            return k;
        }
        rest -= w;
    }
    set.len()
}

/// Every pair of one category alike at `threshold` or more, as (smaller index, larger,
/// likeness).
fn alike_pairs(items: &[Item], sets: &Sets, threshold: f64) -> Vec<(u32, u32, f32)> {
    let t = threshold as f32;
    let Sets {
        sets,
        totals,
        ranks,
    } = sets;
    // Category by category; in each, smallest sets first, so a set is only compared with
    // those no larger than itself.
    let mut order: Vec<usize> = (0..sets.len()).filter(|i| !sets[*i].is_empty()).collect();
    order.sort_by(|a, b| {
        (items[*a].category as u8)
            .cmp(&(items[*b].category as u8))
            .then(totals[*a].total_cmp(&totals[*b]))
    });
    let mut postings: Vec<Vec<u32>> = vec![Vec::new(); *ranks];
    let mut indexed: Vec<u32> = Vec::new();
    let mut seen = vec![false; sets.len()];
    let mut candidates: Vec<u32> = Vec::new();
    let mut pairs = Vec::new();
    let mut category = None;
    for &x in &order {
        if category != Some(items[x].category) {
            category = Some(items[x].category);
            for token in indexed.drain(..) {
                postings[token as usize].clear();
            }
        }
        let (set, wx) = (&sets[x], totals[x]);
        for (token, _) in &set[..prefix(set, wx, t * wx)] {
            for &y in &postings[*token as usize] {
                if !seen[y as usize] && totals[y as usize] >= t * wx {
                    seen[y as usize] = true;
                    candidates.push(y);
                }
            }
        }
        for y in candidates.drain(..) {
            seen[y as usize] = false;
            let l = likeness(set, &sets[y as usize], wx, totals[y as usize]);
            if l >= t {
                pairs.push((y.min(x as u32), y.max(x as u32), l));
            }
        }
        for (token, _) in &set[..prefix(set, wx, 2.0 * t / (1.0 + t) * wx)] {
            let list = &mut postings[*token as usize];
            if list.is_empty() {
                indexed.push(*token);
            }
            list.push(x as u32);
        }
    }
    pairs
}

/// Star clustering: the appeal alike to the most others heads a group of those not yet grouped
/// alike to it, then the next; so every member is alike to its group's head, and no chain of
/// each-a-little-alike appeals pulls unrelated ones together.
fn stars(n: usize, pairs: &[(u32, u32, f32)]) -> Vec<(usize, Vec<usize>, f32)> {
    let mut neighbours: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
    for &(a, b, l) in pairs {
        neighbours[a as usize].push((b, l));
        neighbours[b as usize].push((a, l));
    }
    let mut order: Vec<usize> = (0..n).filter(|i| !neighbours[*i].is_empty()).collect();
    order.sort_by_key(|i| (std::cmp::Reverse(neighbours[*i].len()), *i));
    let mut taken = vec![false; n];
    let mut out = Vec::new();
    for head in order {
        if taken[head] {
            continue;
        }
        let free: Vec<(u32, f32)> = neighbours[head]
            .iter()
            .filter(|(m, _)| !taken[*m as usize])
            .copied()
            .collect();
        if free.is_empty() {
            continue;
        }
        taken[head] = true;
        let mut members = vec![head];
        let mut weakest = 1.0f32;
        for (m, l) in free {
            taken[m as usize] = true;
            members.push(m as usize);
            weakest = weakest.min(l);
        }
        members.sort_unstable();
        out.push((head, members, weakest));
    }
    out
}

/// Groups the items whose descriptions are alike (at least `threshold`, see [`THRESHOLD`]),
/// keeping groups that span at least two enterprises: a problem one enterprise raised twice is
/// not yet a policy issue. Largest groups first.
pub fn group(items: &[Item], threshold: f64) -> Vec<Group> {
    let sets = weighted_sets(items);
    let pairs = alike_pairs(items, &sets, threshold);
    let mut out: Vec<Group> = stars(items.len(), &pairs)
        .into_iter()
        .map(|(_, members, weakest)| {
            let mut sites: Vec<u128> = members.iter().map(|m| items[*m].site).collect();
            sites.sort_unstable();
            sites.dedup();
            Group {
                sites: sites.len(),
                similarity: (weakest as f64 * 100.0).round() / 100.0,
                members,
            }
        })
        .filter(|g| g.sites > 1)
        .collect();
    out.sort_by(|a, b| {
        (b.members.len(), b.sites)
            .cmp(&(a.members.len(), a.sites))
            .then(a.members[0].cmp(&b.members[0]))
    });
    out
}

/// The alike pairs [`group`] starts from, as (smaller index, larger), sorted.
pub fn pairs(items: &[Item], threshold: f64) -> Vec<(u32, u32)> {
    let mut pairs: Vec<(u32, u32)> = alike_pairs(items, &weighted_sets(items), threshold)
        .into_iter()
        .map(|(a, b, _)| (a, b))
        .collect();
    pairs.sort_unstable();
    pairs
}

/// The pairs [`pairs`] must find, by comparing every two items (n² comparisons): the
/// reference it is tested and benchmarked against.
pub fn every_pair(items: &[Item], threshold: f64) -> Vec<(u32, u32)> {
    let Sets { sets, totals, .. } = weighted_sets(items);
    let mut pairs = Vec::new();
    for a in 0..items.len() {
        for b in a + 1..items.len() {
            if items[a].category == items[b].category
                && !sets[a].is_empty()
                && likeness(&sets[a], &sets[b], totals[a], totals[b]) >= threshold as f32
            {
                pairs.push((a as u32, b as u32));
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appeals as officials write them, with the problem each is about: several enterprises'
    /// words for five problems, and appeals about something else that share words with them.
    const FIXTURE: &[(&str, &str)] = &[
        ("电价", "园区工业用电价格偏高，每度电比周边园区贵一毛多，生产成本压力大，希望协调供电部门降低电价。"),
        ("电价", "我们企业用电成本高，电价比周边园区高，希望管委会协调降低工业电价。"),
        ("电价", "工业电价偏高，企业用电成本压力很大，每月电费占成本近两成。"),
        ("电价", "电费太贵了，工业用电价格比邻近开发区高，能否争取电价优惠政策。"),
        ("停车", "厂区周边停车位严重不足，员工上班停车难，车辆只能停在路边被贴罚单。"),
        ("停车", "员工停车难，园区停车位不够，希望增设公共停车位。"),
        ("停车", "公司门口没有停车位，来访客户和员工停车难，建议规划建设停车场。"),
        ("招工", "企业招工难，一线普工缺口四十多人，希望帮助对接劳务市场和职业院校。"),
        ("招工", "普工招聘困难，缺少一线工人，希望人社部门组织专场招聘会。"),
        ("招工", "我司技术工人招聘难，熟练焊工缺口大，希望协调职业院校定向培养。"),
        ("招工", "一线工人招工难，流动性大，希望组织招聘会帮助企业招工。"),
        ("班车", "园区公交班次太少，末班车太早，员工下夜班回不了家，希望延长公交末班车时间。"),
        ("班车", "公交末班车时间太早，夜班员工通勤困难，建议增加夜间公交班次。"),
        ("融资", "企业流动资金紧张，银行贷款审批慢，希望协调银行提供贷款贴息。"),
        ("融资", "融资难，银行贷款门槛高，希望帮助对接银行争取低息贷款。"),
        ("融资", "流动资金周转困难，申请银行贷款被拒，希望给予融资担保支持。"),
        // Alone: each shares words with a problem above, but is about something else.
        ("", "厂区停电频繁，上周停电两次导致生产线停工，希望供电部门检修线路。"),
        ("", "希望协调解决厂房消防验收问题，验收排期太久影响投产。"),
        ("", "企业申请高新技术企业认定，希望帮助辅导申报材料。"),
        ("", "厂区门前道路破损严重，大货车进出颠簸，希望尽快修补路面。"),
        ("", "员工子女入学难，希望协调就近学校解决外来员工子女入学。"),
        ("", "企业污水排放管网未接通，希望环保部门协调接入市政管网。"),
        ("", "出口退税办理时间长，希望税务部门加快退税进度。"),
        ("", "园区食堂饭菜价格偏高，员工就餐不便，希望增设便民餐饮网点。"),
    ];

    fn items() -> Vec<Item<'static>> {
        FIXTURE
            .iter()
            .enumerate()
            .map(|(i, (_, text))| Item {
                text,
                category: Category::Other,
                site: i as u128,
            })
            .collect()
    }

    #[test]
    fn appeals_about_one_problem_in_different_words_are_grouped() {
        let groups = group(&items(), THRESHOLD);
        let mut found: Vec<Vec<&str>> = groups
            .iter()
            .map(|g| g.members.iter().map(|m| FIXTURE[*m].0).collect())
            .collect();
        for g in &mut found {
            g.sort();
        }
        found.sort();
        let mut want: Vec<Vec<&str>> = Vec::new();
        for topic in ["电价", "停车", "招工", "班车", "融资"] {
            want.push(
                FIXTURE
                    .iter()
                    .filter(|f| f.0 == topic)
                    .map(|f| f.0)
                    .collect(),
            );
        }
        want.sort();
        assert_eq!(found, want, "{groups:?}");
        assert!(groups.iter().all(|g| g.similarity >= THRESHOLD));
        assert_eq!(groups[0].members.len(), 4, "the largest group comes first");
    }

    #[test]
    fn one_enterprise_repeating_itself_is_no_policy_issue() {
        let mut items = items();
        for item in &mut items[4..7] {
            item.site = 99;
        }
        let groups = group(&items, THRESHOLD);
        assert!(groups.iter().all(|g| !g.members.contains(&4)), "{groups:?}");
        assert_eq!(groups.len(), 4);
    }

    #[test]
    fn punctuation_empty_texts_and_boilerplate_do_not_make_likeness() {
        let texts = [
            "，。！",
            "",
            "希望协调解决问题",
            "希望协调解决问题。",
            "企业希望",
        ];
        let items: Vec<Item> = texts
            .iter()
            .enumerate()
            .map(|(i, text)| Item {
                text,
                category: Category::Other,
                site: i as u128,
            })
            .collect();
        assert_eq!(group(&items, THRESHOLD), vec![]);
    }

    #[test]
    fn the_prefix_filter_misses_no_pair() {
        // The fixture, and every two of its appeals run together, in three categories: many
        // pairs at every likeness.
        let mixed: Vec<String> = FIXTURE
            .iter()
            .flat_map(|(_, a)| FIXTURE.iter().map(move |(_, b)| format!("{a}{b}")))
            .collect();
        let mut many: Vec<Item> = mixed
            .iter()
            .enumerate()
            .map(|(i, text)| Item {
                text,
                category: Category::ALL[i % 3],
                site: i as u128,
            })
            .collect();
        many.extend(items());
        for items in [items(), many] {
            let sets = weighted_sets(&items);
            for threshold in [0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.25] {
                let mut found: Vec<(u32, u32)> = alike_pairs(&items, &sets, threshold)
                    .into_iter()
                    .map(|(a, b, _)| (a, b))
                    .collect();
                found.sort();
                let every = every_pair(&items, threshold);
                assert!(!every.is_empty(), "at {threshold}");
                assert_eq!(found, every, "at {threshold}");
            }
        }
    }

    #[test]
    fn a_chain_of_each_a_little_alike_appeals_is_not_one_group() {
        // 0–1, 1–2, 2–3, 3–4 alike, nothing else: single linkage would make one group of five.
        let pairs = [(0, 1, 0.5), (1, 2, 0.4), (2, 3, 0.6), (3, 4, 0.5)];
        let groups: Vec<(usize, Vec<usize>)> = stars(5, &pairs)
            .into_iter()
            .map(|(head, members, _)| (head, members))
            .collect();
        assert_eq!(groups, vec![(1, vec![0, 1, 2]), (3, vec![3, 4])]);
    }

    #[test]
    fn likeness_weighs_what_is_shared() {
        let one = |ranks: &[u32]| ranks.iter().map(|r| (*r, 1.0)).collect::<Vec<_>>();
        assert_eq!(likeness(&one(&[1, 2, 3]), &one(&[2, 3, 4]), 3.0, 3.0), 0.5);
        assert_eq!(likeness(&[], &[], 0.0, 0.0), 0.0);
        // A rare bigram shared outweighs two common ones apart: 3 / (4 + 4 − 3).
        let a = [(1, 3.0), (7, 1.0)];
        let b = [(1, 3.0), (8, 1.0)];
        assert_eq!(likeness(&a, &b, 4.0, 4.0), 0.6);
    }
}
