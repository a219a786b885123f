//! Appeals about the same problem, found by the likeness of their descriptions, for the
//! deliberation desk (议事桌): several enterprises' "电价偏高" or "停车难", each in its own words.
//!
//! A description becomes the set of its character bigrams (CJK characters, letters, digits;
//! punctuation, spaces and the words of asking rather than of the problem, [`BOILERPLATE`],
//! break the text), less those so common in this ledger that they say nothing. Two appeals
//! are alike when their sets' Jaccard similarity reaches [`THRESHOLD`]; alike appeals are
//! grouped transitively.
//!
//! Different enterprises' words for one problem share few bigrams (the fixture's pairs go as
//! low as 0.06, unrelated appeals up to 0.075), so the threshold is low, and MinHash with
//! locality-sensitive hashing would need hundreds of hashes per appeal to find pairs that far
//! apart. An exact set-similarity join with prefix filtering (AllPairs, Bayardo et al. 2007)
//! finds every pair instead, and quickly: bigrams are ranked rarest first, and two sets at
//! Jaccard ≥ t must share one of the first |x| − ⌈t·|x|⌉ + 1 of each, so the common bigrams,
//! which would pair everything with everything, are never looked up; sets too different in
//! size are skipped; each candidate is then compared exactly.

use std::collections::HashMap;

/// The likeness from which two descriptions are taken to be about the same problem.
pub const THRESHOLD: f64 = 0.1;

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

/// One appeal to group: its description and the enterprise that raised it.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub text: &'a str,
    pub site: u128,
}

/// Appeals taken to be about one problem, as indices into the items given, in their order,
/// with the enterprises among them and the least likeness that joined two of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub members: Vec<usize>,
    pub sites: usize,
    pub similarity: f64,
}

/// A bigram as a number: two chars fit in 42 bits.
fn bigram(a: char, b: char) -> u64 {
    ((a as u64) << 21) | b as u64
}

/// The boilerplate words by their first character.
fn boilerplate() -> &'static HashMap<char, Vec<Vec<char>>> {
    static WORDS: std::sync::OnceLock<HashMap<char, Vec<Vec<char>>>> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        let mut words: HashMap<char, Vec<Vec<char>>> = HashMap::new();
        for word in BOILERPLATE {
            let chars: Vec<char> = word.chars().collect();
            words.entry(chars[0]).or_default().push(chars);
        }
        words
    })
}

/// Calls `each` with the bigrams of `text`'s runs of letters and digits, boilerplate words
/// cut out (so no bigram straddles one).
fn bigrams(text: &str, mut each: impl FnMut(u64)) {
    let chars: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let words = boilerplate();
    let mut previous: Option<char> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let skip = words.get(&c).and_then(|candidates| {
            candidates
                .iter()
                .find(|w| chars[i..].starts_with(w))
                .map(Vec::len)
        });
        match skip {
            Some(n) => {
                previous = None;
                i += n;
                continue;
            }
            None if c.is_alphanumeric() => {
                if let Some(p) = previous {
                    each(bigram(p, c));
                }
                previous = Some(c);
            }
            None => previous = None,
        }
        i += 1;
    }
}

/// Each text's bigrams as ranks, rarest in the ledger first (rank 0), sorted; without those in
/// more than a tenth of the texts (at least 50: a small ledger keeps all).
fn ranked_sets(items: &[Item]) -> Vec<Vec<u32>> {
    let sets: Vec<Vec<u64>> = items
        .iter()
        .map(|item| {
            let mut set = Vec::with_capacity(item.text.len() / 3);
            bigrams(item.text, |b| set.push(b));
            set.sort_unstable();
            set.dedup();
            set
        })
        .collect();
    let mut df: HashMap<u64, u32> = HashMap::new();
    for set in &sets {
        for b in set {
            *df.entry(*b).or_default() += 1;
        }
    }
    let cap = (items.len() / 10).max(50) as u32;
    let mut vocabulary: Vec<(u32, u64)> = df
        .into_iter()
        .filter(|(_, n)| *n <= cap)
        .map(|(b, n)| (n, b))
        .collect();
    vocabulary.sort_unstable();
    let rank: HashMap<u64, u32> = vocabulary
        .iter()
        .enumerate()
        .map(|(r, (_, b))| (*b, r as u32))
        .collect();
    sets.iter()
        .map(|set| {
            let mut ranks: Vec<u32> = set.iter().filter_map(|b| rank.get(b).copied()).collect();
            ranks.sort_unstable();
            ranks
        })
        .collect()
}

/// |a ∩ b| / |a ∪ b| of two sorted sets.
fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - both;
    if union == 0 {
        0.0
    } else {
        both as f64 / union as f64
    }
}

/// Which items are joined, transitively (a union-find over their indices).
struct Joined {
    parent: Vec<usize>,
}

impl Joined {
    fn new(n: usize) -> Joined {
        Joined {
            parent: (0..n).collect(),
        }
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    /// Joins `a`'s group to `b`'s; returns the root of the group they now make.
    fn join(&mut self, a: usize, b: usize) -> usize {
        let (ra, rb) = (self.root(a), self.root(b));
        self.parent[rb] = ra;
        ra
    }

    /// The groups of more than one item, each with its root, members in index order.
    fn groups(mut self) -> Vec<(usize, Vec<usize>)> {
        let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
        for i in 0..self.parent.len() {
            let r = self.root(i);
            groups.entry(r).or_default().push(i);
        }
        groups.into_iter().filter(|(_, g)| g.len() > 1).collect()
    }
}

/// Groups the items whose descriptions are alike (at least `threshold`, see [`THRESHOLD`]),
/// keeping groups that span at least two enterprises: a problem one enterprise raised twice is
/// not yet a policy issue. Largest groups first.
pub fn group(items: &[Item], threshold: f64) -> Vec<Group> {
    let sets = ranked_sets(items);
    let prefix = |len: usize| len - (threshold * len as f64).ceil() as usize + 1;
    let mut joined = Joined::new(items.len());
    let mut weakest = vec![1.0f64; items.len()];
    // Smallest sets first, so a set is only compared with those no larger than itself.
    let mut order: Vec<usize> = (0..items.len()).filter(|i| !sets[*i].is_empty()).collect();
    order.sort_by_key(|i| sets[*i].len());
    let mut postings: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut seen = vec![false; items.len()];
    let mut candidates: Vec<u32> = Vec::new();
    for &x in &order {
        let set = &sets[x];
        let least = (threshold * set.len() as f64).ceil() as usize;
        let head = &set[..prefix(set.len()).min(set.len())];
        for token in head {
            for &y in postings.get(token).into_iter().flatten() {
                if !seen[y as usize] && sets[y as usize].len() >= least {
                    seen[y as usize] = true;
                    candidates.push(y);
                }
            }
        }
        for y in candidates.drain(..) {
            let y = y as usize;
            seen[y] = false;
            let likeness = jaccard(set, &sets[y]);
            if likeness >= threshold {
                let least = weakest[joined.root(x)]
                    .min(weakest[joined.root(y)])
                    .min(likeness);
                weakest[joined.join(x, y)] = least;
            }
        }
        for token in head {
            postings.entry(*token).or_default().push(x as u32);
        }
    }
    let mut out: Vec<Group> = joined
        .groups()
        .into_iter()
        .map(|(r, members)| {
            let mut sites: Vec<u128> = members.iter().map(|m| items[*m].site).collect();
            sites.sort_unstable();
            sites.dedup();
            Group {
                sites: sites.len(),
                similarity: (weakest[r] * 100.0).round() / 100.0,
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

/// The groups [`group`] must find, by comparing every pair (n² comparisons): the reference it
/// is tested and benchmarked against. Groups as sorted member lists, sorted; no site rule.
pub fn every_pair(items: &[Item], threshold: f64) -> Vec<Vec<usize>> {
    let sets = ranked_sets(items);
    let mut joined = Joined::new(items.len());
    for a in 0..items.len() {
        for b in a + 1..items.len() {
            if !sets[a].is_empty() && jaccard(&sets[a], &sets[b]) >= threshold {
                joined.join(a, b);
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = joined.groups().into_iter().map(|(_, g)| g).collect();
    groups.sort();
    groups
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
                site: i as u128,
            })
            .collect();
        assert_eq!(group(&items, THRESHOLD), vec![]);
    }

    #[test]
    fn the_prefix_filter_misses_no_pair() {
        let items = items();
        for threshold in [0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5] {
            let mut found: Vec<Vec<usize>> = group(&items, threshold)
                .into_iter()
                .map(|g| g.members)
                .collect();
            found.sort();
            assert_eq!(found, every_pair(&items, threshold), "at {threshold}");
        }
    }

    #[test]
    fn jaccard_of_sorted_sets() {
        assert_eq!(jaccard(&[1, 2, 3], &[2, 3, 4]), 0.5);
        assert_eq!(jaccard(&[], &[]), 0.0);
        assert_eq!(jaccard(&[1], &[1]), 1.0);
    }
}
