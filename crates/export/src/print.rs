//! Printable papers, each one HTML document laid out for A4 with CJK fonts and its own styles
//! (so it prints the same from any browser engine): the visit minutes (走访纪要), with lines for
//! signatures, and the month's report (工作月报): the figures, bar charts drawn as inline SVG,
//! the departments' loads, the overdue list and the policy issues. The app previews and prints
//! them.

use chrono::NaiveDate;

/// What the minutes of one visit say, gathered by the app from its records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Minutes {
    pub site: String,
    pub park: Option<String>,
    pub credit_code: Option<String>,
    pub address: Option<String>,
    /// When the desk arrived, in the zone's time.
    pub date: Option<NaiveDate>,
    pub time: String,
    /// The session's leader and the officials who came.
    pub leader: Option<String>,
    pub officials: Vec<String>,
    pub attendees: Vec<String>,
    pub production: Option<String>,
    /// Monthly output in 万元, as written.
    pub output_wan: Option<String>,
    pub appeals: Vec<MinutesAppeal>,
    pub consultations: Vec<(String, String, Option<String>)>,
    pub ideas: Vec<String>,
    pub notes: Option<String>,
    /// The enterprise representative's signature, signed on the tablet: the image (SVG), who
    /// signed, and when (in the zone's time).
    pub signature: Option<(String, String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MinutesAppeal {
    pub category: String,
    pub description: String,
    pub urgent: bool,
    pub resolution: Option<MinutesResolution>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MinutesResolution {
    pub action: String,
    pub lead: String,
    pub co: Vec<String>,
    pub deadline: NaiveDate,
    pub commitment: Option<String>,
}

/// Text as HTML: the five characters that could end an element or an attribute.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A table of named fields, a row each; fields left empty are left out.
fn fields(rows: &[(&str, String)]) -> String {
    let mut out = String::from("<table>");
    for (name, value) in rows {
        if !value.trim().is_empty() {
            out += &format!("<tr><th>{name}</th><td>{}</td></tr>", esc(value));
        }
    }
    out + "</table>"
}

fn zh_date(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

const STYLE: &str = r#"
@page { size: A4; margin: 18mm 16mm 20mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", "SimSun", serif;
       font-size: 11pt; line-height: 1.6; color: #000; margin: 0; }
h1 { font-size: 20pt; text-align: center; letter-spacing: 4pt; margin: 0 0 2mm; }
.sub { text-align: center; color: #333; margin-bottom: 5mm; }
table { width: 100%; border-collapse: collapse; margin-bottom: 4mm; page-break-inside: auto; }
th, td { border: 0.6pt solid #000; padding: 1.6mm 2mm; vertical-align: top; text-align: left; }
th { width: 24mm; font-weight: 600; background: #f3f3f3; white-space: nowrap; }
h2 { font-size: 13pt; margin: 5mm 0 2mm; border-left: 3pt solid #000; padding-left: 2mm; }
ol { margin: 0; padding-left: 6mm; }
li { margin-bottom: 2mm; page-break-inside: avoid; }
.urgent { font-weight: 700; }
.res { margin-top: 1mm; padding-left: 3mm; border-left: 1pt solid #888; }
.signs { display: flex; justify-content: space-between; margin-top: 12mm; page-break-inside: avoid; }
.sign { width: 46%; }
.sign.signed svg { display: block; height: 14mm; width: auto; margin-bottom: -2mm; }
.sign.signed .line { height: 0; }
.line { border-bottom: 0.6pt solid #000; height: 12mm; margin-bottom: 2mm; }
.foot { margin-top: 6mm; font-size: 9pt; color: #555; text-align: right; }
@media screen { body { padding: 18mm 16mm 20mm; } }
"#;

/// The minutes as a complete HTML document, A4.
pub fn minutes_html(m: &Minutes) -> String {
    let when = match m.date {
        Some(d) => format!("{} {}", zh_date(d), m.time),
        None => m.time.clone(),
    };
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut body = format!(
        "<h1>走访纪要</h1><div class=\"sub\">流动办公桌 · {}</div>",
        m.date.map(zh_date).unwrap_or_default()
    );
    body += &fields(&[
        ("企业/项目", m.site.clone()),
        ("统一社会信用代码", text(&m.credit_code)),
        ("所在园区", text(&m.park)),
        ("地址", text(&m.address)),
        ("走访时间", when),
        ("带队领导", text(&m.leader)),
        ("走访人员", m.officials.join("、")),
        ("企业参加人员", m.attendees.join("、")),
        ("生产经营情况", text(&m.production)),
        (
            "月产值",
            m.output_wan
                .as_deref()
                .map(|w| format!("约 {w} 万元"))
                .unwrap_or_default(),
        ),
    ]);
    if !m.appeals.is_empty() {
        body += &format!(
            "<h2>企业诉求及现场议定事项（{} 项）</h2><ol>",
            m.appeals.len()
        );
        for a in &m.appeals {
            body += &format!(
                "<li><span class=\"{}\">【{}{}】</span>{}",
                if a.urgent { "urgent" } else { "" },
                esc(&a.category),
                if a.urgent { "·紧急" } else { "" },
                esc(&a.description)
            );
            if let Some(r) = &a.resolution {
                let co = if r.co.is_empty() {
                    String::new()
                } else {
                    format!("，配合单位：{}", esc(&r.co.join("、")))
                };
                body += &format!(
                    "<div class=\"res\">议定：{}。牵头单位：{}{co}；办结时限：{}。{}</div>",
                    esc(r.action.trim_end_matches('。')),
                    esc(&r.lead),
                    zh_date(r.deadline),
                    r.commitment
                        .as_deref()
                        .map(|c| format!("承诺：{}", esc(c)))
                        .unwrap_or_default()
                );
            }
            body += "</li>";
        }
        body += "</ol>";
    }
    if !m.consultations.is_empty() {
        body += "<h2>政策咨询解答</h2><ol>";
        for (topic, question, answer) in &m.consultations {
            body += &format!(
                "<li>【{}】{}<div class=\"res\">解答：{}</div></li>",
                esc(topic),
                esc(question),
                esc(answer.as_deref().unwrap_or("待答复"))
            );
        }
        body += "</ol>";
    }
    if !m.ideas.is_empty() {
        body += "<h2>金点子</h2><ol>";
        for idea in &m.ideas {
            body += &format!("<li>{}</li>", esc(idea));
        }
        body += "</ol>";
    }
    if let Some(notes) = m.notes.as_deref().filter(|n| !n.trim().is_empty()) {
        body += &format!("<h2>其他</h2><p>{}</p>", esc(notes));
    }
    let enterprise = match &m.signature {
        // The image is the store's own SVG (numbers only), not text from a form.
        Some((svg, signer, at)) => format!(
            "<div class=\"sign signed\">{svg}<div class=\"line\"></div>企业代表（签字）{}　日期：{}</div>",
            esc(signer),
            esc(at)
        ),
        None => "<div class=\"sign\"><div class=\"line\"></div>企业代表（签字）　　日期：</div>".into(),
    };
    body += &format!(
        "<div class=\"signs\">{enterprise}\
         <div class=\"sign\"><div class=\"line\"></div>走访人员（签字）　　日期：</div></div>"
    );
    body += "<div class=\"foot\">以上内容经企业现场确认</div>";
    format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <title>走访纪要 · {}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        esc(&m.site)
    )
}

/// A desk session's summary (活动小结), gathered by the app from its records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionSummary {
    pub date: Option<NaiveDate>,
    pub leader: String,
    pub participants: Vec<String>,
    pub desks: Vec<String>,
    /// The stops in order: site, time slot, and whether it was visited.
    pub stops: Vec<(String, String, bool)>,
    /// Appeals raised at the session's visits: site, category, description, lead department,
    /// deadline.
    pub appeals: Vec<(String, String, String, String, String)>,
    pub consultations: usize,
    pub ideas: usize,
    pub summary: Option<String>,
}

/// A session's summary as a complete HTML document, A4.
pub fn session_html(s: &SessionSummary) -> String {
    let date = s.date.map(zh_date).unwrap_or_default();
    let mut body = format!(
        "<h1>活动小结</h1><div class=\"sub\">{} · {}</div>",
        esc(&s.desks.join("、")),
        date
    );
    body += &fields(&[
        ("日期", date.clone()),
        ("带队领导", s.leader.clone()),
        ("参加人员", s.participants.join("、")),
        (
            "走访情况",
            format!(
                "计划 {} 站，走访 {} 站；收集诉求 {} 项，解答咨询 {} 项，金点子 {} 条",
                s.stops.len(),
                s.stops.iter().filter(|x| x.2).count(),
                s.appeals.len(),
                s.consultations,
                s.ideas
            ),
        ),
    ]);
    body += "<h2>站点</h2>";
    body += &table(
        &["序号", "企业/项目", "时段", "走访"],
        s.stops
            .iter()
            .enumerate()
            .map(|(i, (site, slot, visited))| {
                vec![
                    (i + 1).to_string(),
                    site.clone(),
                    slot.clone(),
                    if *visited { "已走访" } else { "未走访" }.to_owned(),
                ]
            }),
    );
    if !s.appeals.is_empty() {
        body += &format!("<h2>收集的诉求（{} 项）</h2>", s.appeals.len());
        body += &table(
            &["企业/项目", "类别", "诉求", "牵头单位", "办结时限"],
            s.appeals
                .iter()
                .map(|(a, b, c, d, e)| vec![a.clone(), b.clone(), c.clone(), d.clone(), e.clone()]),
        );
    }
    if let Some(text) = s.summary.as_deref().filter(|t| !t.trim().is_empty()) {
        body += &format!("<h2>小结</h2><p>{}</p>", esc(text));
    }
    format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <title>活动小结 · {date}</title><style>{STYLE}{REPORT_STYLE}</style></head><body>{body}</body></html>"
    )
}

/// The month's report, gathered by the app from its figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// The month reported, "2026年11月".
    pub month: String,
    pub as_of: Option<NaiveDate>,
    /// The headline figures: name and value as shown.
    pub headline: Vec<(String, String)>,
    /// Charts of counts: a heading and its bars (label, count).
    pub charts: Vec<(String, Vec<(String, i64)>)>,
    /// Month by month: month, raised, resolved.
    pub months: Vec<(String, i64, i64)>,
    /// Departments: name, open, overdue, resolved.
    pub departments: Vec<(String, i64, i64, i64)>,
    /// Overdue appeals: site, description, department, deadline, days late.
    pub overdue: Vec<(String, String, String, String, i64)>,
    /// The policy issues taken up for the deliberation desk (议事桌).
    pub policy_issues: Vec<ReportIssue>,
}

/// A policy issue as the month's report lists it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportIssue {
    pub title: String,
    /// As shown: 待议, 已议定, 已办结.
    pub status: String,
    pub appeals: usize,
    pub enterprises: usize,
    pub conclusion: Option<String>,
}

/// Horizontal bars, longest first as given, scaled to the largest.
fn bars_svg(bars: &[(String, i64)]) -> String {
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let row = 7.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"170mm\" height=\"{}mm\" viewBox=\"0 0 170 {}\">",
        bars.len() as f64 * row,
        bars.len() as f64 * row
    );
    for (i, (label, count)) in bars.iter().enumerate() {
        let y = i as f64 * row;
        let width = 100.0 * *count as f64 / max;
        svg += &format!(
            "<text x=\"0\" y=\"{:.1}\" font-size=\"3.6\">{}</text>\
             <rect x=\"42\" y=\"{:.1}\" width=\"{width:.1}\" height=\"4.6\" fill=\"#3a6fd8\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"3.6\">{count}</text>",
            y + 4.4,
            esc(label),
            y + 1.0,
            44.0 + width,
            y + 4.4
        );
    }
    svg + "</svg>"
}

fn table(head: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut out = String::from("<table class=\"grid\"><tr>");
    for h in head {
        out += &format!("<th>{h}</th>");
    }
    out += "</tr>";
    for r in rows {
        out += "<tr>";
        for cell in r {
            out += &format!("<td>{}</td>", esc(&cell));
        }
        out += "</tr>";
    }
    out + "</table>"
}

/// The month's report as a complete HTML document, A4.
pub fn report_html(r: &Report) -> String {
    let mut body = format!(
        "<h1>{} 工作月报</h1><div class=\"sub\">流动办公桌 · 截至 {}</div>",
        esc(&r.month),
        r.as_of.map(zh_date).unwrap_or_default()
    );
    body += "<div class=\"cards\">";
    for (name, value) in &r.headline {
        body += &format!(
            "<div class=\"card\"><div class=\"v\">{}</div><div>{}</div></div>",
            esc(value),
            esc(name)
        );
    }
    body += "</div>";
    for (heading, bars) in &r.charts {
        if !bars.is_empty() {
            body += &format!("<h2>{}</h2>{}", esc(heading), bars_svg(bars));
        }
    }
    if !r.months.is_empty() {
        body += "<h2>逐月受理与办结</h2>";
        body += &table(
            &["月份", "受理", "办结"],
            r.months
                .iter()
                .map(|(m, a, b)| vec![m.clone(), a.to_string(), b.to_string()]),
        );
    }
    if !r.departments.is_empty() {
        body += "<h2>承办部门</h2>";
        body += &table(
            &["部门", "在办", "逾期", "已办结"],
            r.departments
                .iter()
                .map(|(n, o, l, d)| vec![n.clone(), o.to_string(), l.to_string(), d.to_string()]),
        );
    }
    body += &format!("<h2>逾期未办结（{} 件）</h2>", r.overdue.len());
    if r.overdue.is_empty() {
        body += "<p>无</p>";
    } else {
        body += &table(
            &["企业/项目", "诉求", "承办部门", "期限", "逾期天数"],
            r.overdue.iter().map(|(s, d, dep, dl, n)| {
                vec![s.clone(), d.clone(), dep.clone(), dl.clone(), n.to_string()]
            }),
        );
    }
    if !r.policy_issues.is_empty() {
        body += &format!("<h2>议事桌议题（{} 项）</h2>", r.policy_issues.len());
        body += &table(
            &["议题", "状态", "诉求", "涉及企业", "议定意见"],
            r.policy_issues.iter().map(|i| {
                vec![
                    i.title.clone(),
                    i.status.clone(),
                    i.appeals.to_string(),
                    i.enterprises.to_string(),
                    i.conclusion.clone().unwrap_or_default(),
                ]
            }),
        );
    }
    format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <title>{} 工作月报</title><style>{STYLE}{REPORT_STYLE}</style></head><body>{body}</body></html>",
        esc(&r.month)
    )
}

const REPORT_STYLE: &str = r#"
.cards { display: grid; grid-template-columns: repeat(5, 1fr); gap: 3mm; margin-bottom: 3mm; }
.card { border: 0.6pt solid #000; padding: 2mm 3mm; text-align: center; }
.card .v { font-size: 18pt; font-weight: 700; }
table.grid th { width: auto; }
table.grid td, table.grid th { font-size: 10pt; }
svg { display: block; margin-bottom: 3mm; }
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn minutes() -> Minutes {
        Minutes {
            site: "湖北斯诺新材料有限公司".into(),
            date: Some("2024-10-26".parse().unwrap()),
            time: "08:30".into(),
            leader: Some("党工委书记".into()),
            attendees: vec!["总经理".into(), "生产副总".into()],
            appeals: vec![MinutesAppeal {
                category: "环境绿化".into(),
                description: "厂区围墙外公共绿化<script>alert(1)</script>".into(),
                urgent: true,
                resolution: Some(MinutesResolution {
                    action: "出具绿化方案。".into(),
                    lead: "自然资源和规划中心".into(),
                    co: vec!["城管局".into()],
                    deadline: "2024-10-28".parse().unwrap(),
                    commitment: None,
                }),
            }],
            ..Minutes::default()
        }
    }

    #[test]
    fn a_signature_signed_on_the_tablet_stands_above_its_line() {
        let signed = Minutes {
            signature: Some((
                "<svg viewBox=\"0 0 600 200\"><polyline points=\"1,2 3,4\"/></svg>".into(),
                "王总<b>".into(),
                "2024年10月26日".into(),
            )),
            ..minutes()
        };
        let html = minutes_html(&signed);
        assert!(
            html.contains("<div class=\"sign signed\"><svg viewBox"),
            "{html}"
        );
        assert!(
            html.contains("企业代表（签字）王总&lt;b&gt;　日期：2024年10月26日"),
            "{html}"
        );
        assert!(!minutes_html(&minutes()).contains("sign signed"));
    }

    #[test]
    fn the_minutes_say_who_what_and_by_when_and_leave_room_to_sign() {
        let html = minutes_html(&minutes());
        assert!(html.contains("<h1>走访纪要</h1>"));
        assert!(html.contains("2024年10月26日 08:30"));
        assert!(html.contains("总经理、生产副总"));
        assert!(html.contains(
            "议定：出具绿化方案。牵头单位：自然资源和规划中心，配合单位：城管局；办结时限：2024年10月28日。"
        ));
        assert!(html.contains("企业代表（签字）"));
        assert!(html.contains("size: A4"));
        assert!(
            !html.contains("月产值"),
            "rows without a value are left out"
        );
    }

    #[test]
    fn what_was_typed_is_text_never_markup() {
        let html = minutes_html(&minutes());
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    #[test]
    fn the_report_draws_its_bars_and_lists_the_overdue() {
        let html = report_html(&Report {
            month: "2026年11月".into(),
            as_of: Some("2026-11-30".parse().unwrap()),
            headline: vec![("诉求总数".into(), "123".into())],
            charts: vec![(
                "按类别".into(),
                vec![("基础设施".into(), 121), ("环境&绿化".into(), 1)],
            )],
            overdue: vec![(
                "湖北斯诺新材料有限公司".into(),
                "厂区围墙外公共绿化".into(),
                "自然资源和规划中心".into(),
                "2024-10-28".into(),
                763,
            )],
            policy_issues: vec![ReportIssue {
                title: "工业电价偏高".into(),
                status: "已议定".into(),
                appeals: 4,
                enterprises: 3,
                conclusion: Some("协调供电公司执行园区直供电价".into()),
            }],
            ..Report::default()
        });
        assert!(html.contains("2026年11月 工作月报"));
        assert!(html.contains("截至 2026年11月30日"));
        assert_eq!(html.matches("<rect").count(), 2);
        assert!(
            html.contains("width=\"100.0\""),
            "the largest bar is full width"
        );
        assert!(html.contains("环境&amp;绿化"));
        assert!(html.contains("逾期未办结（1 件）"));
        assert!(html.contains("<td>763</td>"));
        assert!(html.contains("议事桌议题（1 项）"));
        assert!(html.contains(
            "<td>工业电价偏高</td><td>已议定</td><td>4</td><td>3</td><td>协调供电公司执行园区直供电价</td>"
        ));
    }

    #[test]
    fn a_session_summary_counts_its_stops_and_lists_its_appeals() {
        let html = session_html(&SessionSummary {
            date: Some("2024-10-26".parse().unwrap()),
            leader: "党工委书记".into(),
            desks: vec!["流动办公桌".into()],
            stops: vec![
                ("湖北斯诺新材料有限公司".into(), "08:30–09:30".into(), true),
                ("污水处理厂二期".into(), String::new(), false),
            ],
            appeals: vec![(
                "湖北斯诺新材料有限公司".into(),
                "环境绿化".into(),
                "厂区围墙外公共绿化".into(),
                "自然资源和规划中心".into(),
                "2024-10-28".into(),
            )],
            ..SessionSummary::default()
        });
        assert!(html.contains("<h1>活动小结</h1>"));
        assert!(html.contains("计划 2 站，走访 1 站；收集诉求 1 项"));
        assert!(html.contains("<td>未走访</td>"));
        assert!(html.contains("<td>自然资源和规划中心</td>"));
    }
}
