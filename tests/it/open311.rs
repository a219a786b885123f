//! The Open311 GeoReport v2 intake, as the 12345 hotline's system uses it: every route, with
//! bad keys, unknown services and malformed bodies refused in the specification's error format
//! with nothing written, and a request followed as the office handles it.

use std::process::Command;

use desk_core::appeal::Action;
use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::binary;
use crate::server_harness::{backends, seed_with_demo, Server, Tablet};

/// `desk-server admin api-key`, as the office runs it: the key printed.
fn api_key(db_url: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(binary("desk-server"))
        .args(["--db", db_url, "admin", "api-key"])
        .args(args)
        .output()
        .expect("run desk-server admin");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (
        out.status.success(),
        text + &String::from_utf8_lossy(&out.stderr),
    )
}

/// A refusal as the specification writes it: `[{code, description}]`, the code the status.
fn refused(status: StatusCode, body: &Value, want: u16) -> String {
    assert_eq!(status.as_u16(), want, "{body}");
    let errors = body
        .as_array()
        .unwrap_or_else(|| panic!("a list of errors: {body}"));
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["code"], want, "{body}");
    errors[0]["description"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hotline_raises_and_follows_requests_through_open311() {
    for backend in backends() {
        let server = Server::start(&backend).await;
        seed_with_demo(&server).await;
        let (ok, out) = api_key(&server.db.url, &["--name", "12345热线"]);
        assert!(ok, "{out}");
        let key = out
            .lines()
            .find(|l| l.starts_with("desk_"))
            .unwrap_or_else(|| panic!("the key in {out}"))
            .trim()
            .to_owned();
        let base = format!("{}/open311/v2", server.url);
        let http = reqwest::Client::new();
        let get = |path: String| {
            let http = http.clone();
            async move {
                let r = http.get(path).send().await.unwrap();
                let status = r.status();
                (status, r.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let post = |form: Vec<(&'static str, String)>| {
            let (http, base) = (http.clone(), base.clone());
            async move {
                let r = http
                    .post(format!("{base}/requests.json"))
                    .form(&form)
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                (status, r.json::<Value>().await.unwrap_or(Value::Null))
            }
        };

        // The services are the appeal categories, each asking for the enterprise's credit code.
        let (status, services) = get(format!("{base}/services.json")).await;
        assert_eq!(status, 200);
        let codes: Vec<&str> = services
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["service_code"].as_str().unwrap())
            .collect();
        assert!(
            codes.contains(&"utilities") && codes.len() == 9,
            "{services}"
        );
        let (status, def) = get(format!("{base}/services/utilities.json")).await;
        assert_eq!(status, 200);
        assert_eq!(def["attributes"][0]["code"], "credit_code");
        assert_eq!(def["attributes"][0]["required"], true);
        let (status, body) = get(format!("{base}/services/weather.json")).await;
        refused(status, &body, 404);
        let (status, body) = get(format!("{base}/services/utilities.xml")).await;
        assert!(refused(status, &body, 400).contains("JSON"));

        let credit = "91421300MA49KQ7D3";
        let credit = format!(
            "{credit}{}",
            desk_core::credit_code::check_character(credit).unwrap()
        );
        let good = |key: &str| {
            vec![
                ("api_key", key.to_owned()),
                ("service_code", "utilities".to_owned()),
                (
                    "description",
                    "厂区停电频繁，影响连续生产，请协调供电部门排查线路。".to_owned(),
                ),
                ("attribute[credit_code]", credit.clone()),
                ("last_name", "王".to_owned()),
                ("phone", "13800001234".to_owned()),
            ]
        };
        let tablet = Tablet::sign_in(&server.url, "admin").await;
        tablet.sync().await;
        let appeals_before = tablet.engine.store().stats().unwrap().appeals;

        // Refused, in the specification's form, and nothing written.
        let (status, body) = post(good("desk_not-a-key")).await;
        refused(status, &body, 403);
        let mut no_key = good("");
        no_key.retain(|(k, _)| *k != "api_key");
        let (status, body) = post(no_key).await;
        assert!(refused(status, &body, 403).contains("api_key"));
        let mut unknown = good(&key);
        unknown[1].1 = "weather".into();
        let (status, body) = post(unknown).await;
        assert!(refused(status, &body, 400).contains("service_code"));
        let mut empty = good(&key);
        empty[2].1 = "  ".into();
        let (status, body) = post(empty).await;
        assert!(refused(status, &body, 400).contains("description"));
        let mut stranger = good(&key);
        stranger[3].1 = "91110000100000000X".into();
        let (status, body) = post(stranger).await;
        assert!(refused(status, &body, 400).contains("credit_code"));
        let r = http
            .post(format!("{base}/requests.json"))
            .header("content-type", "application/json")
            .body(r#"{"api_key": "x"}"#)
            .send()
            .await
            .unwrap();
        let status = r.status();
        refused(status, &r.json().await.unwrap(), 400);
        tablet.sync().await;
        assert_eq!(
            tablet.engine.store().stats().unwrap().appeals,
            appeals_before,
            "nothing written"
        );

        // Made: an appeal of the hotline channel, received, with the zone's handling limit.
        let (status, made) = post(good(&key)).await;
        assert_eq!(status, 200, "{made}");
        let id = made[0]["service_request_id"].as_str().unwrap().to_owned();
        assert!(made[0]["service_notice"]
            .as_str()
            .unwrap()
            .contains("办理期限"));
        tablet.sync().await;
        let appeal: desk_core::model::Appeal = tablet
            .has(id.parse().unwrap())
            .expect("on the office's tablet");
        assert_eq!(appeal.channel, desk_core::model::Channel::Hotline);
        assert!(
            appeal
                .description
                .contains("12345热线转办；来电人：王 13800001234"),
            "{}",
            appeal.description
        );

        // Followed: open, then closed once the office resolves it.
        let (status, list) = get(format!("{base}/requests.json?api_key={key}")).await;
        assert_eq!(status, 200);
        assert_eq!(
            list.as_array().unwrap().len(),
            1,
            "only this system's requests: {list}"
        );
        let one = &list[0];
        assert_eq!(
            (one["status"].as_str(), one["service_code"].as_str()),
            (Some("open"), Some("utilities"))
        );
        assert!(
            one["requested_datetime"]
                .as_str()
                .unwrap()
                .ends_with("+08:00"),
            "{one}"
        );
        assert!(
            one["expected_datetime"]
                .as_str()
                .unwrap()
                .ends_with("T23:59:59+08:00"),
            "{one}"
        );
        assert_eq!(one["address"], "湖北斯诺新材料有限公司");
        let departments = tablet
            .engine
            .store()
            .list(desk_core::Entity::Department)
            .unwrap();
        let power: uuid::Uuid = departments
            .iter()
            .find(|d| d["name"] == "国网随州供电公司")
            .and_then(|d| d["id"].as_str()?.parse().ok())
            .expect("the demo's department");
        tablet.write(|w| {
            w.act_on_appeal(
                appeal.id,
                Action::Dispatch {
                    department_id: power,
                },
                "x",
                Some("派国网随州供电公司排查"),
            )
        });
        tablet.write(|w| w.act_on_appeal(appeal.id, Action::Resolve, "x", Some("线路已更换")));
        tablet.sync().await;
        let (status, one) = get(format!("{base}/requests/{id}.json?api_key={key}")).await;
        assert_eq!(status, 200, "{one}");
        assert_eq!(one[0]["status"], "closed");
        assert_eq!(one[0]["agency_responsible"], "国网随州供电公司");
        assert_eq!(one[0]["status_notes"], "线路已更换");
        let (_, open) = get(format!("{base}/requests.json?api_key={key}&status=open")).await;
        assert_eq!(open.as_array().unwrap().len(), 0);
        for (query, want) in [
            ("&status=pending", "status"),
            ("&start_date=yesterday", "start_date"),
            ("&service_code=weather", "service_code"),
        ] {
            let (status, body) = get(format!("{base}/requests.json?api_key={key}{query}")).await;
            assert!(refused(status, &body, 400).contains(want), "{body}");
        }
        let (status, body) = get(format!(
            "{base}/requests/{}.json?api_key={key}",
            uuid::Uuid::now_v7()
        ))
        .await;
        refused(status, &body, 404);
        let (status, body) = get(format!("{base}/requests/{id}.json")).await;
        refused(status, &body, 403);

        // Revoked, the key opens nothing.
        let (ok, out) = api_key(&server.db.url, &["--name", "12345热线", "--revoke"]);
        assert!(ok && out.contains("已停用"), "{out}");
        let (status, body) = get(format!("{base}/requests.json?api_key={key}")).await;
        refused(status, &body, 403);
        server.stop().await;
    }
}
