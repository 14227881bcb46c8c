//! A real OpenID provider for tests: `tests/oidc/provider.mjs` (npm `oidc-provider`), shaped
//! like Entra ID v2.0 for one test tenant. [`Provider::start`] installs it (`npm ci`, once)
//! and runs it on an ephemeral loopback port; the process dies with the value.
//!
//! The HTTP helpers are blocking (reqwest's blocking client): call them from plain `#[test]`
//! functions, not from inside a tokio runtime.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// The test tenant's id: every path and the issuer carry it.
pub const TENANT: &str = "5c0e6d6a-9b1f-4e0a-8f3e-2d7c4b1a9e60";
/// Microsoft's licensing service, the resource our tokens are for.
pub const LICENSING_RESOURCE: &str = "aeb86249-8ea3-49e2-900b-54cc8e308f85";
/// The scope clients ask Entra for to reach the licensing service.
pub const LICENSING_SCOPE: &str = "aeb86249-8ea3-49e2-900b-54cc8e308f85/.default";
/// Another resource (Microsoft Graph): a token for it has the wrong audience for us.
pub const GRAPH_SCOPE: &str = "00000003-0000-0000-c000-000000000000/.default";

/// App roles, as Microsoft's licensing service defines them.
pub const ROLE_READ: &str = "Policy.Read.AllowSelfServicePurchase";
pub const ROLE_WRITE: &str = "Policy.ReadWrite.AllowSelfServicePurchase";
/// Entra directory role template ids (the `wids` claim).
pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
pub const BILLING_ADMINISTRATOR: &str = "b0f54661-2d74-4c50-afa3-1ec803f12efe";
pub const GLOBAL_READER: &str = "f2ef992c-3afb-46b9-b7cf-a126ee74c451";

/// The public device-code client (MSCommerce's client id): device code and refresh token.
pub const DEVICE_CLIENT_ID: &str = "3d5cffa9-04da-4657-8cab-c7f074657cad";
/// A public client of one's own for the browser sign-in (loopback redirects, PKCE), with no
/// consent granted yet: the browser shows a consent page.
pub const BROWSER_CLIENT_ID: &str = "7d3c1f0a-2b4e-4c6d-8e9f-0a1b2c3d4e06";
/// A confidential client (client_secret_post) with role `Policy.ReadWrite…`.
pub const WRITER_CLIENT_ID: &str = "7d3c1f0a-2b4e-4c6d-8e9f-0a1b2c3d4e01";
pub const WRITER_CLIENT_SECRET: &str = "TESTONLY-writer-secret-Zq8vN3kW";
/// A confidential client with role `Policy.Read…`.
pub const READER_CLIENT_ID: &str = "7d3c1f0a-2b4e-4c6d-8e9f-0a1b2c3d4e02";
pub const READER_CLIENT_SECRET: &str = "TESTONLY-reader-secret-Hm4pR7tX";
/// A confidential client with no role.
pub const NO_ROLES_CLIENT_ID: &str = "7d3c1f0a-2b4e-4c6d-8e9f-0a1b2c3d4e03";
pub const NO_ROLES_CLIENT_SECRET: &str = "TESTONLY-noroles-secret-Bc2yJ6dF";
/// A `private_key_jwt` client whose key is the certificate given to [`Provider::start_with`];
/// it has the writer's roles.
pub const CERTIFICATE_CLIENT_ID: &str = "7d3c1f0a-2b4e-4c6d-8e9f-0a1b2c3d4e04";
/// A `private_key_jwt` client whose assertions come from [`Provider::federated_token`] (a
/// stand-in for GitHub Actions' token issuer); it has the writer's roles.
pub const FEDERATED_CLIENT_ID: &str = "7d3c1f0a-2b4e-4c6d-8e9f-0a1b2c3d4e05";
/// The App Service identity header the provider's managed identity endpoint expects.
pub const MSI_HEADER: &str = "test-identity-header";
/// The request token GitHub gives a job (`ACTIONS_ID_TOKEN_REQUEST_TOKEN`), as the provider's
/// stand-in for GitHub's ID token endpoint (`/test/github-oidc`) expects it.
pub const GITHUB_REQUEST_TOKEN: &str = "test-github-request-token";
/// Every secret above, for tests that scan output for leaks.
pub const TEST_SECRETS: [&str; 3] = [WRITER_CLIENT_SECRET, READER_CLIENT_SECRET, NO_ROLES_CLIENT_SECRET];

/// Device-code users and their directory roles; any password signs them in.
pub const ADMIN_USER: &str = "admin@contoso.test";
pub const BILLING_USER: &str = "billing@contoso.test";
pub const READER_USER: &str = "reader@contoso.test";
pub const NOBODY_USER: &str = "nobody@contoso.test";

/// `tests/oidc`, where the provider and its npm lock file live.
pub fn provider_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("oidc")
}

/// Installs the provider's npm packages if missing: once per process, and under a file lock
/// so concurrent test runs do not install over each other.
fn ensure_installed() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let dir = provider_dir();
        // Every package in package.json: a checkout with an older install gets the new ones.
        let installed = ["oidc-provider", "playwright-core"]
            .iter()
            .all(|name| dir.join("node_modules").join(name).join("package.json").exists());
        let lock_path = std::env::temp_dir().join("commerce-e2e-oidc-npm.lock");
        let lock = std::fs::File::create(&lock_path).expect("npm lock file");
        lock.lock().expect("npm lock");
        if !installed {
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&dir)
                .status()
                .expect("npm runs (node and npm are needed for the OpenID provider)");
            assert!(status.success(), "npm ci in {} failed", dir.display());
        }
        let _ = lock.unlock();
    });
}

/// Where Debian's chromium is; tests/oidc/browse.mjs drives it.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Whether a real browser is here for the browser sign-in tests. In CI (`CI` set) it must
/// be: .ci/run installs it, and a missing one fails the test instead of skipping it.
pub fn chromium_available() -> bool {
    let present = Path::new(CHROMIUM).exists();
    assert!(present || std::env::var_os("CI").is_none(), "CI installs Debian's chromium ({CHROMIUM})");
    if !present {
        eprintln!("{CHROMIUM} not found: skipping a browser sign-in test (apt-get install chromium)");
    }
    present
}

/// What a person in the browser does on the provider's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// Signs in, and consents if asked.
    Give,
    /// Signs in, then cancels on the consent page.
    Decline,
}

/// Opens the sign-in page `url` in headless Chromium and signs in as `login` (browse.mjs);
/// the text of the page the browser ended on (the loopback's answer), or why it failed.
pub fn browse(url: &str, login: &str, consent: Consent) -> Result<String, String> {
    ensure_installed();
    let mut command = Command::new("node");
    command.arg("browse.mjs").args([url, login, "any-password"]).current_dir(provider_dir());
    if consent == Consent::Decline {
        command.arg("--deny");
    }
    let out = command.output().map_err(|e| format!("node browse.mjs did not start: {e}"))?;
    match out.status.success() {
        true => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
    }
}

/// One access token's claims, decoded without checking the signature (tests only).
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap_or_else(|| panic!("not a JWT: {token:.20}…"));
    let bytes = URL_SAFE_NO_PAD.decode(payload).expect("JWT payload is base64url");
    serde_json::from_slice(&bytes).expect("JWT payload is JSON")
}

/// What a device authorization answered.
#[derive(Debug, Clone)]
pub struct DeviceCode {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
}

/// A running provider; killed when dropped.
pub struct Provider {
    child: Child,
    url: String,
    http: reqwest::blocking::Client,
}

impl Provider {
    /// A provider with one-hour access tokens and no certificate client key.
    pub fn start() -> Self {
        Self::start_with(None, None)
    }

    /// A provider whose access tokens live `ttl` (default one hour) and whose certificate
    /// client ([`CERTIFICATE_CLIENT_ID`]) trusts the certificate in `cert_pem`.
    pub fn start_with(ttl: Option<Duration>, cert_pem: Option<&Path>) -> Self {
        ensure_installed();
        let mut command = Command::new("node");
        command.arg("provider.mjs").current_dir(provider_dir()).stdout(Stdio::piped()).stderr(Stdio::null());
        if let Some(ttl) = ttl {
            command.env("OIDC_ACCESS_TOKEN_TTL", ttl.as_secs().max(1).to_string());
        }
        if let Some(pem) = cert_pem {
            command.env("OIDC_CLIENT_CERT_PEM", pem);
        }
        let mut child = command.spawn().expect("node starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line).expect("the provider prints its address");
        // Keep draining, so a later line never meets a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the provider did not start: {line:?}"))
            .to_string();
        Self { child, url, http: http_client() }
    }

    /// The base URL, like `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn tenant(&self) -> &'static str {
        TENANT
    }

    /// `http://127.0.0.1:PORT/TENANT/v2.0`, the `iss` of its tokens.
    pub fn issuer(&self) -> String {
        format!("{}/{TENANT}/v2.0", self.url)
    }

    /// The authority a client is configured with, like `https://login.microsoftonline.com`.
    pub fn authority(&self) -> &str {
        &self.url
    }

    pub fn jwks_url(&self) -> String {
        format!("{}/{TENANT}/discovery/v2.0/keys", self.url)
    }

    pub fn token_endpoint(&self) -> String {
        format!("{}/{TENANT}/oauth2/v2.0/token", self.url)
    }

    pub fn device_authorization_endpoint(&self) -> String {
        format!("{}/{TENANT}/oauth2/v2.0/devicecode", self.url)
    }

    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer())
    }

    /// POSTs `form` to the token endpoint; the JSON answer and whether it was a success.
    pub fn token_request(&self, form: &[(&str, &str)]) -> (bool, Value) {
        post_form(&self.http, &self.token_endpoint(), form)
    }

    /// An app-only access token for the licensing service (client credentials, secret).
    pub fn client_credentials_token(&self, client_id: &str, secret: &str) -> String {
        self.client_credentials_token_for(client_id, secret, LICENSING_SCOPE)
    }

    /// An app-only access token for another `scope` (`<resource>/.default`).
    pub fn client_credentials_token_for(&self, client_id: &str, secret: &str, scope: &str) -> String {
        let form = [
            ("client_id", client_id),
            ("client_secret", secret),
            ("grant_type", "client_credentials"),
            ("scope", scope),
        ];
        access_token(self.token_request(&form))
    }

    /// A workload assertion for a federated client (iss = sub = `client_id`, five minutes).
    pub fn federated_token(&self, client_id: &str) -> String {
        // Client ids are GUIDs: nothing to escape.
        let url = format!("{}/test/federated-token?client_id={client_id}", self.url);
        let answer: Value = self
            .http
            .get(url)
            .send()
            .and_then(|r| r.error_for_status())
            .and_then(|r| r.json())
            .expect("the provider mints a federated token");
        answer["token"].as_str().expect("token").to_string()
    }

    /// An app-only access token obtained with a client assertion (private_key_jwt).
    pub fn assertion_token(&self, client_id: &str, assertion: &str) -> String {
        let form = [
            ("client_id", client_id),
            ("grant_type", "client_credentials"),
            ("scope", LICENSING_SCOPE),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion),
        ];
        access_token(self.token_request(&form))
    }

    /// Starts a device authorization for the public client, as Entra clients do.
    pub fn start_device_code(&self) -> DeviceCode {
        let scope = format!("{LICENSING_SCOPE} offline_access");
        let form = [("client_id", DEVICE_CLIENT_ID), ("scope", scope.as_str())];
        let (ok, answer) = post_form(&self.http, &self.device_authorization_endpoint(), &form);
        assert!(ok, "device authorization failed: {answer}");
        let field = |name: &str| answer[name].as_str().unwrap_or_else(|| panic!("no {name} in {answer}")).to_string();
        DeviceCode {
            device_code: field("device_code"),
            user_code: field("user_code"),
            verification_uri: field("verification_uri"),
        }
    }

    /// Approves `user_code` as `login`, as a person would in a browser: enter the code,
    /// confirm, sign in (the provider's dev interactions; consent is pre-granted).
    pub fn approve_device_code(&self, user_code: &str, login: &str) {
        // A browser of its own: the interaction cookies belong to this approval only.
        let browser = http_client();
        let device = format!("{}/device", self.url);
        let page = get_text(&browser, &device);
        let xsrf = hidden_input(&page, "xsrf").expect("the code page has an xsrf field");
        let page = post_page(&browser, &device, &[("xsrf", &xsrf), ("user_code", user_code), ("confirm", "yes")]);
        let action = form_action(&page).unwrap_or_else(|| panic!("no sign-in form after the code: {page}"));
        let page = post_page(&browser, &action, &[("prompt", "login"), ("login", login), ("password", "any")]);
        assert!(page.contains("Sign-in Success"), "device approval did not finish: {page}");
    }

    /// Redeems a device code: the token endpoint's JSON answer (tokens, or an error).
    pub fn redeem_device_code(&self, device_code: &str) -> (bool, Value) {
        let form = [
            ("client_id", DEVICE_CLIENT_ID),
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", device_code),
        ];
        self.token_request(&form)
    }

    /// Signs `login` in with the device code flow; the token answer (`access_token`,
    /// `refresh_token`, …).
    pub fn device_code_tokens(&self, login: &str) -> Value {
        let code = self.start_device_code();
        self.approve_device_code(&code.user_code, login);
        let (ok, answer) = self.redeem_device_code(&code.device_code);
        assert!(ok, "device code not redeemed: {answer}");
        answer
    }

    /// A delegated access token for `login` (device code flow).
    pub fn user_token(&self, login: &str) -> String {
        self.device_code_tokens(login)["access_token"].as_str().expect("access_token").to_string()
    }

    /// Redeems a refresh token of the public client; the token answer.
    pub fn refresh(&self, refresh_token: &str) -> (bool, Value) {
        let scope = format!("{LICENSING_SCOPE} offline_access");
        let form = [
            ("client_id", DEVICE_CLIENT_ID),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("scope", scope.as_str()),
        ];
        self.token_request(&form)
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .cookie_store(true)
        // No pooled connections: node closes idle ones after 5 s, racing a reuse.
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client")
}

fn post_form(http: &reqwest::blocking::Client, url: &str, form: &[(&str, &str)]) -> (bool, Value) {
    let response = http.post(url).form(form).send().unwrap_or_else(|e| panic!("POST {url}: {e:?}"));
    let ok = response.status().is_success();
    (ok, response.json().unwrap_or(Value::Null))
}

fn access_token((ok, answer): (bool, Value)) -> String {
    assert!(ok, "token request failed: {answer}");
    answer["access_token"].as_str().unwrap_or_else(|| panic!("no access_token in {answer}")).to_string()
}

fn get_text(http: &reqwest::blocking::Client, url: &str) -> String {
    http.get(url).send().and_then(|r| r.text()).unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

/// POSTs a form and follows redirects (as GETs, like a browser); the final page.
fn post_page(http: &reqwest::blocking::Client, url: &str, form: &[(&str, &str)]) -> String {
    http.post(url).form(form).send().and_then(|r| r.text()).unwrap_or_else(|e| panic!("POST {url}: {e}"))
}

/// The value of `<input … name="NAME" value="…">` in a page of the dev interactions.
fn hidden_input(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &page[at..];
    let start = rest.find("value=\"")? + "value=\"".len();
    let end = rest[start..].find('"')?;
    Some(rest[start..start + end].to_string())
}

/// The `action` of the first form in a page.
fn form_action(page: &str) -> Option<String> {
    let form = &page[page.find("<form")?..];
    let start = form.find("action=\"")? + "action=\"".len();
    let end = form[start..].find('"')?;
    Some(form[start..start + end].to_string())
}

/// A client assertion for `client_id` signed with `cert`'s key, as Entra clients make them
/// (RS256, `x5t` header, aud the token endpoint, ten minutes).
pub fn certificate_assertion(cert: &TestCertificate, client_id: &str, token_endpoint: &str) -> String {
    let key_pem = std::fs::read(&cert.key_pem).expect("key PEM");
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&key_pem).expect("RSA key");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.x5t = Some(cert.x5t.clone());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
    let jti = format!("{now}-{}", std::process::id());
    let claims = serde_json::json!({
        "iss": client_id, "sub": client_id, "aud": token_endpoint,
        "iat": now, "nbf": now, "exp": now + 600, "jti": jti,
    });
    jsonwebtoken::encode(&header, &claims, &key).expect("assertion signed")
}

/// A test certificate: an RSA key and a self-signed certificate, as PEM files and as a
/// password-protected PFX (PKCS#12), the forms admins hand to sign-in tools.
#[derive(Debug, Clone)]
pub struct TestCertificate {
    pub cert_pem: PathBuf,
    pub key_pem: PathBuf,
    /// The certificate and the key in one PEM file (what some tools take).
    pub combined_pem: PathBuf,
    pub pfx: PathBuf,
    pub pfx_password: String,
    /// base64url(SHA-1 of the certificate's DER): Entra's `x5t`.
    pub x5t: String,
}

/// Writes a new test certificate named `name` (`name.crt.pem`, `name.key.pem`,
/// `name.pem`, `name.pfx`) into `dir`.
pub fn write_test_certificate(dir: &Path, name: &str) -> TestCertificate {
    use sha1::Digest;
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key");
    let params = rcgen::CertificateParams::new(vec![format!("{name}.contoso.test")]).expect("certificate params");
    let cert = params.self_signed(&key).expect("self-signed certificate");
    let (cert_pem, key_pem) = (cert.pem(), key.serialize_pem());
    let pfx_password = format!("TESTONLY-pfx-{name}");
    let pfx = pkcs12(cert.der(), &key.serialize_der(), &pfx_password);
    let paths = TestCertificate {
        cert_pem: dir.join(format!("{name}.crt.pem")),
        key_pem: dir.join(format!("{name}.key.pem")),
        combined_pem: dir.join(format!("{name}.pem")),
        pfx: dir.join(format!("{name}.pfx")),
        pfx_password,
        x5t: URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(cert.der())),
    };
    std::fs::write(&paths.cert_pem, &cert_pem).expect("certificate written");
    std::fs::write(&paths.key_pem, &key_pem).expect("key written");
    std::fs::write(&paths.combined_pem, format!("{cert_pem}{key_pem}")).expect("PEM written");
    std::fs::write(&paths.pfx, pfx).expect("PFX written");
    paths
}

fn pkcs12(cert_der: &[u8], key_der: &[u8], password: &str) -> Vec<u8> {
    let cert = p12_keystore::Certificate::from_der(cert_der).expect("certificate DER");
    let key = p12_keystore::PrivateKey::from_der(key_der).expect("PKCS#8 key");
    let chain = p12_keystore::PrivateKeyChain::new(vec![1u8; 20], key, vec![cert]);
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry("test", p12_keystore::KeyStoreEntry::PrivateKeyChain(chain));
    store.writer(password).write().expect("PKCS#12 written")
}
