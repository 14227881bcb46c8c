//! Who may do what in the administration under `serve --auth jwt`, end to end with the test
//! OpenID provider's tokens: a user with no admin role buys (joining the directory from the
//! token's claims) and manages only their own purchases; another user can neither read nor
//! cancel them; a Global Reader reads everything but cannot take over; an admin cannot assign
//! in a user's subscription until taking it over, and then can.

use commerce_e2e::oidc::*;
use commerce_e2e::{Provider, Sandbox};
use reqwest::blocking::Client;
use serde_json::{Value, json};

const PRODUCT: &str = "CFQ7TTC0HDB1";

fn call(client: &Client, method: &str, url: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = client.request(method.parse().expect("method"), url).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().expect("the service answers");
    (response.status().as_u16(), response.json().unwrap_or(Value::Null))
}

#[test]
fn users_manage_their_own_purchases_readers_read_and_admins_take_over() {
    let provider = Provider::start();
    let sb = Sandbox::new();
    let (issuer, jwks) = (provider.issuer(), provider.jwks_url());
    let flags = ["--auth", "jwt", "--issuer", &issuer, "--audience", LICENSING_RESOURCE, "--jwks-url", &jwks];
    let svc = sb.serve(&sb.path("store.db"), &flags);
    let url = |path: &str| format!("{}/v1.0{path}", svc.url);
    let client = Client::new();
    let (ann, bob) = (provider.user_token("ann@contoso.test"), provider.user_token("bob@contoso.test"));
    let (reader, admin) = (provider.user_token(READER_USER), provider.user_token(ADMIN_USER));

    let (status, sub) =
        call(&client, "POST", &url("/purchases"), &ann, Some(json!({ "productId": PRODUCT, "quantity": 2 })));
    assert_eq!(status, 201, "{sub}");
    assert_eq!(sub["purchaser"]["userPrincipalName"], "ann@contoso.test");
    let id = sub["id"].as_str().expect("id").to_string();
    let (status, users) = call(&client, "GET", &url("/users"), &reader, None);
    assert_eq!(
        (status, users["items"][0]["userPrincipalName"].clone()),
        (200, json!("ann@contoso.test")),
        "added from the token"
    );

    // Another user: not theirs to read, list, change or cancel.
    call(&client, "POST", &url("/purchases"), &bob, Some(json!({ "productId": PRODUCT, "quantity": 1 })));
    let (status, refusal) = call(&client, "GET", &url(&format!("/subscriptions/{id}")), &bob, None);
    assert_eq!((status, refusal["error"]["code"].clone()), (403, json!("Forbidden")), "{refusal}");
    let (_, theirs) = call(&client, "GET", &url("/subscriptions"), &bob, None);
    assert_eq!(theirs["items"].as_array().map(Vec::len), Some(1), "bob sees his own only: {theirs}");
    let cancel = json!({ "reason": "NoLongerNeeded" });
    assert_eq!(call(&client, "POST", &url(&format!("/subscriptions/{id}/cancel")), &bob, Some(cancel)).0, 403);

    // A reader reads everything and changes nothing.
    let (status, all) = call(&client, "GET", &url("/subscriptions"), &reader, None);
    assert_eq!((status, all["items"].as_array().map(Vec::len)), (200, Some(2)));
    let take_over = json!({ "cancel": { "reason": "NotApproved" } });
    let (status, refusal) =
        call(&client, "POST", &url(&format!("/subscriptions/{id}/takeOver")), &reader, Some(take_over.clone()));
    assert_eq!((status, refusal["error"]["code"].clone()), (403, json!("Forbidden")), "{refusal}");

    // An admin must take it over before assigning its licenses.
    let assign = json!({ "users": ["ann@contoso.test"] });
    let (status, refusal) = call(&client, "POST", &url(&format!("/subscriptions/{id}/assign")), &admin, Some(assign));
    assert_eq!((status, refusal["error"]["code"].clone()), (403, json!("NotTakenOver")), "{refusal}");
    assert!(refusal["error"]["message"].as_str().unwrap_or_default().contains("taking it over"), "{refusal}");
    let (status, outcome) =
        call(&client, "POST", &url(&format!("/subscriptions/{id}/takeOver")), &admin, Some(take_over));
    assert_eq!((status, outcome["cancelled"].clone()), (200, json!([id])), "{outcome}");
    // Apps: the write role is an admin, no role is nothing.
    let app = provider.client_credentials_token(WRITER_CLIENT_ID, WRITER_CLIENT_SECRET);
    let central = json!({ "productId": PRODUCT, "quantity": 5 });
    assert_eq!(call(&client, "POST", &url("/subscriptions"), &app, Some(central.clone())).0, 201);
    assert_eq!(call(&client, "POST", &url("/subscriptions"), &ann, Some(central)).0, 403, "a user adds no central one");
    let nobody = provider.client_credentials_token(NO_ROLES_CLIENT_ID, NO_ROLES_CLIENT_SECRET);
    assert_eq!(call(&client, "GET", &url("/subscriptions"), &nobody, None).0, 403);
    let (_, mail) = call(&client, "GET", &url("/notifications"), &reader, None);
    assert_eq!(mail["items"][0]["recipient"], "ann@contoso.test", "no mail address in the token: its principal name");
}
