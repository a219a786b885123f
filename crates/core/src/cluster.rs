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
//! apart.
//!
//! Appeals are grouped by leader clustering: category by category, the most typical first
//! (those sharing the most weight with the rest), each joins the group it is most alike to, or
//! heads a new one; a group is known by its head and its first member ([`REPRESENTATIVES`]).
//! So every member is at most two steps from its head, and no chain of each-a-little-alike
//! appeals pulls unrelated ones together (a first version took the transitive closure of alike
//! pairs and made one group of all 10,000 appeals in the benchmark). Only representatives are
//! compared with, so the cost follows the number of groups, not the number of alike pairs: a
//! matter 200 enterprises raised is 20,000 pairs but one group (a second version found every
//! pair, exactly, then grouped them as stars: four times slower and less precise). The groups
//! an appeal may join are found with prefix filtering (AllPairs, Bayardo et al. 2007,
//! weighted): bigrams are ranked rarest first, and two sets alike at t share one among the
//! rarest of each that weigh more than the rest by the bound at [`prefix`], so the common
//! bigrams, which would pair everything with everything, are never looked up.

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
/// with the enterprises among them and the least likeness through which a member joined.
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
        // Common CJK characters first: the general test is a table search.
        let cjk = ('\u{4e00}'..='\u{9fff}').contains(&c);
        if !cjk && !c.is_alphabetic() {
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
/// For x and y alike at t, with weights W: shared ≥ t/(1+t)·(Wx+Wy) and shared ≤ Wy, so
/// Wy ≥ t·Wx, and so shared ≥ t·Wx; likewise shared ≥ t·Wy. The rarest bigram they share
/// leaves at least t·W of each after it, so it lies in the prefix of each for t·W.
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

/// How many of a group's first members an appeal may join it through: its head and the first
/// to join. The head alone splits a problem whose first wording was an outlier (the fixture's
/// fourth "电价" appeal is alike to two of the others but not the third); more lets chains
/// grow (at three, five each-a-little-alike appeals made one group).
const REPRESENTATIVES: usize = 2;

/// How [`leaders`] finds the heads an item may join.
#[derive(Clone, Copy, PartialEq)]
enum Lookup {
    /// Those whose representatives share a bigram of the item's prefix: every group alike
    /// enough, and few others.
    Prefix,
    /// Every group of the item's category: the reference.
    EveryGroup,
}

/// Leader clustering: category by category, the most typical items first; each joins the
/// group whose representatives (see [`REPRESENTATIVES`]) are most alike to it (at `threshold`
/// or more; on a tie the earliest group), or heads a group of its own. Returns the groups of
/// two or more as (head, members in the items' order, least likeness that joined one).
fn leaders(
    items: &[Item],
    sets: &Sets,
    threshold: f64,
    lookup: Lookup,
) -> Vec<(usize, Vec<usize>, f32)> {
    let t = threshold as f32;
    let Sets {
        sets,
        totals,
        ranks,
    } = sets;
    // Category by category, the most typical first: those sharing the most weight with the
    // rest of their category (Σ weight × how many others have the bigram, over their own
    // weight), the cheap count of what a head is alike to.
    let mut df: Vec<u32> = vec![0; *ranks * Category::ALL.len()];
    let slot = |i: usize, token: u32| items[i].category as usize * *ranks + token as usize;
    for (i, set) in sets.iter().enumerate() {
        for (token, _) in set {
            df[slot(i, *token)] += 1;
        }
    }
    let typical: Vec<f32> = sets
        .iter()
        .enumerate()
        .map(|(i, set)| {
            let shared: f32 = set
                .iter()
                .map(|(token, w)| w * (df[slot(i, *token)] - 1) as f32)
                .sum();
            shared / totals[i]
        })
        .collect();
    let mut order: Vec<usize> = (0..sets.len()).filter(|i| !sets[*i].is_empty()).collect();
    order.sort_by(|a, b| {
        (items[*a].category as u8)
            .cmp(&(items[*b].category as u8))
            .then(typical[*b].total_cmp(&typical[*a]))
            .then(a.cmp(b))
    });
    // The groups by the bigrams of their representatives' prefixes.
    let mut postings: Vec<Vec<u32>> = vec![Vec::new(); *ranks];
    let mut indexed: Vec<u32> = Vec::new();
    let mut seen: Vec<bool> = Vec::new();
    let mut candidates: Vec<u32> = Vec::new();
    let mut groups: Vec<(usize, Vec<usize>, f32)> = Vec::new();
    // Where the current category's groups begin.
    let mut first = 0;
    let mut category = None;
    for &x in &order {
        if category != Some(items[x].category) {
            category = Some(items[x].category);
            first = groups.len();
            for token in indexed.drain(..) {
                postings[token as usize].clear();
            }
        }
        let (set, wx) = (&sets[x], totals[x]);
        let prefix = &set[..prefix(set, wx, t * wx)];
        match lookup {
            Lookup::Prefix => {
                for (token, _) in prefix {
                    for &g in &postings[*token as usize] {
                        if !seen[g as usize] {
                            seen[g as usize] = true;
                            candidates.push(g);
                        }
                    }
                }
                // Earliest group first, so ties go the same way as the reference's.
                candidates.sort_unstable();
            }
            Lookup::EveryGroup => candidates.extend(first as u32..groups.len() as u32),
        }
        let mut best: Option<(u32, f32)> = None;
        for g in candidates.drain(..) {
            seen[g as usize] = false;
            let members = &groups[g as usize].1;
            let l = members[..members.len().min(REPRESENTATIVES)]
                .iter()
                .map(|r| likeness(set, &sets[*r], wx, totals[*r]))
                .fold(0.0, f32::max);
            if l >= t && best.is_none_or(|(_, b)| l > b) {
                best = Some((g, l));
            }
        }
        let g = match best {
            Some((g, l)) => {
                let group = &mut groups[g as usize];
                group.1.push(x);
                group.2 = group.2.min(l);
                if group.1.len() > REPRESENTATIVES {
                    continue;
                }
                g
            }
            None => {
                groups.push((x, vec![x], 1.0));
                seen.push(false);
                groups.len() as u32 - 1
            }
        };
        for (token, _) in prefix {
            let list = &mut postings[*token as usize];
            if list.is_empty() {
                indexed.push(*token);
            }
            if list.last() != Some(&g) {
                list.push(g);
            }
        }
    }
    groups.retain(|g| g.1.len() > 1);
    for g in &mut groups {
        g.1.sort_unstable();
    }
    groups
}

/// Groups the items whose descriptions are alike (at least `threshold`, see [`THRESHOLD`]),
/// keeping groups that span at least two enterprises: a problem one enterprise raised twice is
/// not yet a policy issue. Largest groups first; on a tie, in the items' order.
pub fn group(items: &[Item], threshold: f64) -> Vec<Group> {
    finish(
        items,
        leaders(items, &weighted_sets(items), threshold, Lookup::Prefix),
    )
}

/// What [`group`] must make, found by comparing each item with every group of its category:
/// the reference it is tested and benchmarked against.
pub fn group_exhaustively(items: &[Item], threshold: f64) -> Vec<Group> {
    finish(
        items,
        leaders(items, &weighted_sets(items), threshold, Lookup::EveryGroup),
    )
}

fn finish(items: &[Item], groups: Vec<(usize, Vec<usize>, f32)>) -> Vec<Group> {
    let mut out: Vec<Group> = groups
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
    fn the_prefix_filter_misses_no_group() {
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
            for threshold in [0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.25] {
                let found = group(&items, threshold);
                assert!(!found.is_empty(), "at {threshold}");
                assert_eq!(
                    found,
                    group_exhaustively(&items, threshold),
                    "at {threshold}"
                );
            }
        }
    }

    #[test]
    fn a_chain_of_each_a_little_alike_appeals_is_not_one_group() {
        // Each of seven shares a bigram with the one before and the one after, nothing else:
        // single linkage would make one group of seven. The middle ones are as typical as each
        // other, so they are taken in order: 1 heads, 2 joins it and represents it, 3 joins
        // through 2, 4 is alike to neither 1 nor 2 and heads its own.
        let chain: Vec<Vec<(u32, f32)>> = (0..7).map(|i| vec![(i, 1.0), (i + 1, 1.0)]).collect();
        let sets = Sets {
            totals: vec![2.0; 7],
            sets: chain,
            ranks: 8,
        };
        let items = vec![
            Item {
                text: "",
                category: Category::Other,
                site: 0,
            };
            7
        ];
        let groups: Vec<(usize, Vec<usize>)> = leaders(&items, &sets, 0.3, Lookup::Prefix)
            .into_iter()
            .map(|(head, members, _)| (head, members))
            .collect();
        assert_eq!(groups, vec![(1, vec![0, 1, 2, 3]), (4, vec![4, 5, 6])]);
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
