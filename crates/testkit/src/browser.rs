//! A real headless Chromium, driven over WebDriver: one browser per test.
//!
//! [`Browser::start`] runs `chromedriver` on a free loopback port and opens a
//! session in a fresh Chromium profile. The helpers wait for conditions (never
//! for fixed times) and panic with the current URL and page text when one does
//! not hold in time. Dropping the browser ends the session and stops both
//! programs. Browser tests never skip: a missing driver or browser is a failure
//! that says how to install them.

use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tempfile::TempDir;

/// How long a helper waits for a condition before failing the test.
pub const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);

const DEFAULT_CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";
const INSTALL_HINT: &str = "install them with `apt-get install -y chromium chromium-driver`";

/// Arguments that let Chromium run headless as root on a machine without network.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
];

/// A Chromium session pointed at one running app.
#[derive(Debug)]
pub struct Browser {
    client: Client,
    base_url: String,
    screenshots: PathBuf,
    // Field order matters: the driver (and so Chromium) stops before the profile is removed.
    driver: Driver,
    _profile: TempDir,
}

/// The `chromedriver` process and the session it holds.
#[derive(Debug)]
struct Driver {
    child: Child,
    url: String,
    session: Option<String>,
}

/// One line of the browser's console log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleEntry {
    pub level: String,
    pub source: String,
    pub message: String,
}

impl Browser {
    /// Start Chromium for the app at `base_url` (no trailing slash). Screenshots
    /// go to `screenshots_dir`, typically `$CARGO_TARGET_TMPDIR/screenshots`.
    ///
    /// The driver comes from `SWITCHBOARD_CHROMEDRIVER` (default
    /// `/usr/bin/chromedriver`), the browser from `SWITCHBOARD_CHROMIUM` (default
    /// `/usr/bin/chromium`).
    pub async fn start(base_url: &str, screenshots_dir: impl Into<PathBuf>) -> Browser {
        crate::install_tls();
        let chromedriver = program("SWITCHBOARD_CHROMEDRIVER", DEFAULT_CHROMEDRIVER, "chromedriver");
        let chromium = program("SWITCHBOARD_CHROMIUM", DEFAULT_CHROMIUM, "chromium");
        let profile = tempfile::tempdir().expect("create a temporary chromium profile");
        let mut driver = Driver::start(&chromedriver, profile.path()).await;

        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().join("chromium").display()));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let Value::Object(capabilities) = capabilities else { unreachable!("capabilities are an object") };
        // The driver is on loopback: plain HTTP, no TLS stack to pick.
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| {
                panic!("chromedriver could not start chromium at {}: {e}; {INSTALL_HINT}", chromium.display())
            });
        driver.session = client.session_id().await.expect("read the webdriver session id");

        Browser {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            screenshots: screenshots_dir.into(),
            driver,
            _profile: profile,
        }
    }

    /// The WebDriver client, for what the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Open `path` (relative to the app, like `/chat`) and wait for it to load.
    pub async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base_url);
        if let Err(e) = self.client.goto(&url).await {
            self.fail(&format!("could not open {url}: {e}")).await
        }
        self.wait_for_load().await;
    }

    /// Type `text` into the field matching `css`, replacing what it held.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.ready_element(css).await;
        if let Err(e) = field.clear().await {
            self.fail(&format!("could not clear {css}: {e}")).await
        }
        if let Err(e) = field.send_keys(text).await {
            self.fail(&format!("could not type into {css}: {e}")).await
        }
    }

    /// Click the element matching `css`.
    pub async fn click(&self, css: &str) {
        let element = self.ready_element(css).await;
        if let Err(e) = element.click().await {
            self.fail(&format!("could not click {css}: {e}")).await
        }
    }

    /// Click the link whose whole text is `text`.
    pub async fn click_link(&self, text: &str) {
        let what = format!("a link reading {text:?}");
        let link = self.wait_until(&what, async || self.client.find(Locator::LinkText(text)).await.ok()).await;
        self.wait_for_load().await;
        if let Err(e) = link.click().await {
            self.fail(&format!("could not click {what}: {e}")).await
        }
    }

    /// Create an app in Settings → Apps with `name`, `url` and the auth mode `auth`
    /// (`oauth`, `mixed`), saved at once without tools; waits for its page.
    pub async fn create_app_with_auth(&self, name: &str, url: &str, auth: &str) {
        self.goto("/settings/apps#create").await;
        self.fill("#create-app-form input[name=name]", name).await;
        self.fill("#create-app-form input[name=url]", url).await;
        let choose = format!(
            "const s = document.querySelector('#create-app-form select[name=auth]'); s.value = '{auth}'; \
             s.dispatchEvent(new Event('change')); return null"
        );
        self.eval(&choose).await;
        self.wait_for_text("#auth-oauth", "redirect URI").await;
        self.click("#create-app-form button[type=submit]").await;
        self.wait_for_text(".page-head h1", name).await;
    }

    /// Sign in on `/login` as `email` with `password`, and wait for the chat.
    pub async fn sign_in(&self, email: &str, password: &str) {
        self.goto("/login").await;
        self.fill("#login-form input[name=email]", email).await;
        self.fill("#login-form input[name=password]", password).await;
        self.click("#login-form button[type=submit]").await;
        self.wait_for_url("/chat").await;
    }

    /// Wait until the page's path is `path`; a `path` with `?` must match the query too.
    pub async fn wait_for_url(&self, path: &str) {
        let with_query = path.contains('?');
        self.wait_until(&format!("the page {path}"), async || {
            let url = self.client.current_url().await.ok()?;
            let here = match (with_query, url.query()) {
                (true, Some(query)) => format!("{}?{query}", url.path()),
                _ => url.path().to_owned(),
            };
            (here == path).then_some(())
        })
        .await;
        self.wait_for_load().await;
    }

    /// The page's whole URL, as the browser reports it.
    pub async fn current_url(&self) -> String {
        match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(e) => self.fail(&format!("could not read the current URL: {e}")).await,
        }
    }

    /// Wait until the browser has left the app's page `path` (for another page, or
    /// another server) and has loaded where it went; return that URL, whole.
    pub async fn wait_to_leave(&self, path: &str) -> String {
        let url = self
            .wait_until(&format!("the browser to leave {path}"), async || {
                let url = self.client.current_url().await.ok()?;
                let here = url.as_str().strip_prefix(&self.base_url).and_then(|rest| rest.split(['?', '#']).next());
                (here != Some(path)).then(|| url.to_string())
            })
            .await;
        self.wait_for_load().await;
        url
    }

    /// Wait until some element matching `css` shows text containing `text`.
    pub async fn wait_for_text(&self, css: &str, text: &str) {
        self.wait_until(&format!("{css} to show {text:?}"), async || {
            for element in self.client.find_all(Locator::Css(css)).await.ok()? {
                if element.text().await.ok()?.contains(text) {
                    return Some(());
                }
            }
            None
        })
        .await;
    }

    /// The visible text of the first element matching `css`, once there is one.
    pub async fn text(&self, css: &str) -> String {
        let element = self.element(css).await;
        match element.text().await {
            Ok(text) => text,
            Err(e) => self.fail(&format!("could not read the text of {css}: {e}")).await,
        }
    }

    /// Whether the first element matching `css` is enabled (a form control without `disabled`).
    pub async fn is_enabled(&self, css: &str) -> bool {
        let element = self.element(css).await;
        match element.is_enabled().await {
            Ok(enabled) => enabled,
            Err(e) => self.fail(&format!("could not tell whether {css} is enabled: {e}")).await,
        }
    }

    /// How many elements match `css` right now.
    pub async fn count(&self, css: &str) -> usize {
        match self.client.find_all(Locator::Css(css)).await {
            Ok(found) => found.len(),
            Err(e) => self.fail(&format!("could not look for {css}: {e}")).await,
        }
    }

    /// Run `script` in the page and return its result.
    pub async fn eval(&self, script: &str) -> Value {
        match self.client.execute(script, vec![]).await {
            Ok(value) => value,
            Err(e) => self.fail(&format!("script failed: {e}\n  script: {script}")).await,
        }
    }

    /// Run `promise` (an expression giving a Promise) in the page and return what it resolves to.
    pub async fn eval_async(&self, promise: &str) -> Value {
        let script = format!(
            "const done = arguments[arguments.length - 1]; Promise.resolve({promise}).then(done, e => done({{ error: String(e) }}));"
        );
        match self.client.execute_async(&script, vec![]).await {
            Ok(value) => value,
            Err(e) => self.fail(&format!("script failed: {e}\n  script: {promise}")).await,
        }
    }

    /// Run axe-core (vendored, test-only: `vendor/axe-core/`) on the page as it is and
    /// return its `serious` and `critical` violations, each as "rule: help — targets".
    pub async fn axe(&self) -> Vec<String> {
        const AXE: &str = include_str!("../vendor/axe-core/axe.min.js");
        self.wait_for_load().await;
        if self.eval("return typeof window.axe").await != json!("object")
            && let Err(e) = self.client.execute(&format!("{AXE}\nreturn null;"), vec![]).await
        {
            self.fail(&format!("could not load axe-core: {e}")).await;
        }
        let found = self
            .eval_async(
                // axe scrolls while it checks contrast: put every scroll position back after.
                "(() => { const was = [...document.querySelectorAll('*')].filter(e => e.scrollTop || e.scrollLeft) \
                   .map(e => [e, e.scrollTop, e.scrollLeft]); const x = window.scrollX, y = window.scrollY; \
                   return axe.run(document, { resultTypes: ['violations'] }).then(r => { \
                     window.scrollTo(x, y); for (const [e, t, l] of was) { e.scrollTop = t; e.scrollLeft = l; } \
                     return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical') \
                       .map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map(n => n.target.join(' ')).join(', ')}`); }); })()",
            )
            .await;
        match found {
            Value::Array(items) => items.into_iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect(),
            other => self.fail(&format!("axe-core did not run: {other}")).await,
        }
    }

    /// Save the page as `<screenshots_dir>/<name>.png`; with `SWITCHBOARD_UPDATE_DOCS=1`
    /// also as `docs/screenshots/<name>.png` in the workspace.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        self.wait_for_load().await;
        let png = match self.client.screenshot().await {
            Ok(png) => png,
            Err(e) => self.fail(&format!("could not take the screenshot {name}: {e}")).await,
        };
        let path = save_png(&self.screenshots, name, &png);
        if std::env::var("SWITCHBOARD_UPDATE_DOCS").is_ok_and(|v| v == "1") {
            save_png(&docs_screenshots(), name, &png);
        }
        path
    }

    /// Everything the console logged since the last call: errors, warnings,
    /// resources that failed to load and Content-Security-Policy violations.
    pub async fn console(&self) -> Vec<ConsoleEntry> {
        let Some(session) = &self.driver.session else {
            return vec![];
        };
        let url = format!("{}/session/{session}/se/log", self.driver.url);
        let response = reqwest::Client::new()
            .post(&url)
            .json(&json!({ "type": "browser" }))
            .timeout(WAIT)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status);
        let body: Value = match response {
            Ok(response) => response.json().await.unwrap_or_else(|e| panic!("read the browser log from {url}: {e}")),
            Err(e) => panic!("fetch the browser log from {url}: {e}"),
        };
        body["value"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|entry| ConsoleEntry {
                level: entry["level"].as_str().unwrap_or_default().to_owned(),
                source: entry["source"].as_str().unwrap_or_default().to_owned(),
                message: entry["message"].as_str().unwrap_or_default().to_owned(),
            })
            .collect()
    }

    /// Check what a strict Content-Security-Policy demands of the page on screen:
    /// no inline script, no inline style attribute, and nothing blocked or failed in
    /// the console since the last check.
    pub async fn assert_page_is_clean(&self) {
        self.wait_for_load().await;
        let inline = self
            .eval(
                "return { scripts: document.querySelectorAll('script:not([src])').length, \
                          styles: document.querySelectorAll('[style]').length, \
                          handlers: [...document.querySelectorAll('*')].filter(e => \
                              [...e.attributes].some(a => a.name.startsWith('on'))).length };",
            )
            .await;
        for (what, key) in
            [("inline scripts", "scripts"), ("style attributes", "styles"), ("inline event handlers", "handlers")]
        {
            if inline[key].as_u64() != Some(0) {
                self.fail(&format!("the page has {what} ({}), which the CSP blocks", inline[key])).await
            }
        }
        let problems: Vec<String> = self
            .console()
            .await
            .into_iter()
            .filter(|e| e.level == "SEVERE" || e.level == "WARNING" || e.source == "security")
            .map(|e| format!("[{} {}] {}", e.level, e.source, e.message))
            .collect();
        if !problems.is_empty() {
            self.fail(&format!("the browser console reported problems:\n    {}", problems.join("\n    "))).await
        }
    }

    /// End the session and stop Chromium and the driver.
    pub async fn close(mut self) {
        // A session that is already gone is what closing wants anyway.
        if self.client.clone().close().await.is_ok() {
            self.driver.session = None;
        }
    }

    /// The first element matching `css`, once there is one.
    async fn element(&self, css: &str) -> Element {
        self.wait_until(&format!("an element matching {css}"), async || self.client.find(Locator::Css(css)).await.ok())
            .await
    }

    /// The first element matching `css`, once it is shown and its page's scripts have run.
    async fn ready_element(&self, css: &str) -> Element {
        let element = self
            .wait_until(&format!("a visible element matching {css}"), async || {
                let element = self.client.find(Locator::Css(css)).await.ok()?;
                element.is_displayed().await.ok()?.then_some(element)
            })
            .await;
        self.wait_for_load().await;
        element
    }

    /// Wait until the document and its module scripts have loaded.
    async fn wait_for_load(&self) {
        self.wait_until("the page to finish loading", async || {
            let state = self.client.execute("return document.readyState", vec![]).await.ok()?;
            (state == "complete").then_some(())
        })
        .await;
    }

    /// Poll `probe` until it yields a value; fail the test after [`WAIT`].
    async fn wait_until<T>(&self, what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(found) = probe().await {
                return found;
            }
            if Instant::now() >= deadline {
                self.fail(&format!("waited {} s for {what}", WAIT.as_secs())).await
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Fail the test, showing where the browser is and what it shows, and
    /// saving a screenshot named after the test.
    async fn fail(&self, problem: &str) -> ! {
        let url = match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(e) => format!("unknown ({e})"),
        };
        let text = match self.client.execute("return document.body ? document.body.innerText : ''", vec![]).await {
            Ok(Value::String(text)) => text,
            Ok(other) => other.to_string(),
            Err(e) => format!("unreadable ({e})"),
        };
        let shot = match self.client.screenshot().await {
            Ok(png) => {
                let test = std::thread::current().name().unwrap_or("test").replace("::", "-");
                format!("\n  screenshot: {}", save_png(&self.screenshots, &format!("failed-{test}"), &png).display())
            }
            Err(_) => String::new(),
        };
        panic!("{problem}\n  at: {url}{shot}\n  page text:\n{}", indent(&text))
    }
}

impl Driver {
    /// Run chromedriver on a free loopback port and wait until it answers.
    async fn start(chromedriver: &Path, scratch: &Path) -> Driver {
        let log = scratch.join("chromedriver.log");
        let port = free_port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so Chromium can be stopped with it.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("could not run {}: {e}; {INSTALL_HINT}", chromedriver.display()));
        let mut driver = Driver { child, url: format!("http://127.0.0.1:{port}"), session: None };
        driver.wait_until_ready(&log).await;
        driver
    }

    async fn wait_until_ready(&mut self, log: &Path) {
        let status = format!("{}/status", self.url);
        let http = reqwest::Client::new();
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(Some(exit)) = self.child.try_wait() {
                panic!("chromedriver stopped at start ({exit}); its log:\n{}", indent(&read_log(log)));
            }
            let answer = http.get(&status).timeout(POLL * 10).send().await;
            if let Ok(response) = answer {
                let body: Value = response.json().await.unwrap_or_default();
                if body["value"]["ready"] == true {
                    return;
                }
            }
            if Instant::now() >= deadline {
                panic!(
                    "chromedriver did not answer on {status} within {} s; its log:\n{}",
                    WAIT.as_secs(),
                    indent(&read_log(log))
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            // Ending the session makes the driver quit Chromium. Drop may run
            // inside a runtime, so use a thread with its own.
            let url = format!("{}/session/{session}", self.url);
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                rt.block_on(async { reqwest::Client::new().delete(&url).timeout(Duration::from_secs(5)).send().await })
                    .ok()
            })
            .join();
        }
        // Whatever is left in the driver's process group (a Chromium whose session
        // could not be ended) goes with it.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The program named by `env`, or `default`; panics with how to install it.
fn program(env: &str, default: &str, what: &str) -> PathBuf {
    let path = std::env::var_os(env).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(default));
    if !path.is_file() {
        panic!(
            "browser tests need {what}, not found at {}; {INSTALL_HINT}, or set {env} to where it is",
            path.display()
        );
    }
    path
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

/// The workspace's `docs/screenshots`.
fn docs_screenshots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots")
}

fn save_png(dir: &Path, name: &str, png: &[u8]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| format!("(no log at {}: {e})", path.display()))
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("    {line}")).collect::<Vec<_>>().join("\n")
}
