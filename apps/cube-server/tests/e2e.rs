//! The real binary over real HTTP: start `cube-server` on a free loopback port with a fresh
//! SQLite file, wait for `/healthz`, log in as a demo seller, take the next customer and
//! register "No answer". The process is killed when the test ends, pass or fail.

use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The running server; killed and its data removed on drop.
struct Server {
    child: Child,
    dir: PathBuf,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

fn start() -> Server {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("cube-e2e-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let port = free_port();
    let database = format!("sqlite://{}", dir.join("cube.db").display());
    let child = Command::new(env!("CARGO_BIN_EXE_cube-server"))
        .args(["--database-url", &database])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("serve")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server starts");
    Server {
        child,
        dir,
        base: format!("http://127.0.0.1:{port}"),
    }
}

async fn wait_until_healthy(client: &reqwest::Client, server: &mut Server) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(response) = client.get(format!("{}/healthz", server.base)).send().await
            && response.status().is_success()
        {
            return;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("the server exited early: {status}");
        }
        assert!(Instant::now() < deadline, "the server did not come up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn a_demo_seller_calls_the_next_customer_over_real_http() {
    let mut server = start();
    let client = reqwest::Client::new();
    wait_until_healthy(&client, &mut server).await;
    let base = server.base.clone();

    let (status, ready) = json(
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .expect("ready"),
    )
    .await;
    assert_eq!(status, 200, "{ready}");

    let login = json!({ "email": "seller1@demo.example.com", "password": "cube-demo-2025" });
    let (status, body) = json(
        client
            .post(format!("{base}/api/login"))
            .json(&login)
            .send()
            .await
            .expect("login"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().expect("a token").to_owned();
    let get = |path: &str| client.get(format!("{base}{path}")).bearer_auth(&token);
    let post = |path: &str| client.post(format!("{base}{path}")).bearer_auth(&token);

    let (status, list) = json(get("/api/assignments").send().await.expect("list")).await;
    assert_eq!(status, 200, "{list}");
    let assignment = list[0]["id"].as_str().expect("an assignment").to_owned();
    let (_, detail) = json(
        get(&format!("/api/assignments/{assignment}"))
            .send()
            .await
            .expect("detail"),
    )
    .await;
    let no_answer = detail["outcomes"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["kind"] == "no_answer"))
        .and_then(|o| o["id"].as_str())
        .expect("the sales flow has No answer")
        .to_owned();

    let (status, item) = json(
        post(&format!("/api/assignments/{assignment}/next"))
            .send()
            .await
            .expect("next"),
    )
    .await;
    assert_eq!(status, 200, "{item}");
    let enrollment = item["enrollment"]["id"].as_str().expect("an enrollment");

    let (status, registered) = json(
        post(&format!("/api/enrollments/{enrollment}/outcomes"))
            .header("Idempotency-Key", "e2e-1")
            .json(&json!({ "outcome": no_answer }))
            .send()
            .await
            .expect("register"),
    )
    .await;
    assert_eq!(status, 200, "{registered}");
    assert_eq!(registered["enrollment"]["attempts"], 1);
    assert_eq!(registered["replayed"], false);
}
