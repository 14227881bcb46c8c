//! `users add|import|list`: the directory of a commerce-policy service. An import is read
//! and checked whole before anything is sent, and the service adds all of it or none.

use std::collections::HashMap;
use std::path::Path;

use commerce_client::Client;
use commerce_model::admin::{NewUser, User};

use super::records::{UserRecord, print_many, print_one};
use crate::cli::{GlobalArgs, UsersArgs, UsersCommand};
use crate::commands::baseline::read_text;
use crate::error::CliError;

pub async fn run(global: &GlobalArgs, args: UsersArgs) -> Result<(), CliError> {
    match args.command {
        UsersCommand::Add { upn, display_name, mail } => {
            let user = checked(&upn, &display_name, mail.as_deref()).map_err(CliError::Usage)?;
            let (client, printer) = super::open(global, &args.acting, "users add").await?;
            let added = client
                .add_user(&user)
                .await
                .map_err(CliError::request(format!("adding user {}", user.user_principal_name)))?;
            print_one(&printer, UserRecord::from(added))
        }
        UsersCommand::Import { file } => {
            let users = read_users(&file)?;
            let (client, printer) = super::open(global, &args.acting, "users import").await?;
            let added = import(&client, users, &file).await?;
            print_many(&printer, added.into_iter().map(UserRecord::from).collect())
        }
        UsersCommand::List => {
            let (client, printer) = super::open(global, &args.acting, "users list").await?;
            let users = client.users().await.map_err(CliError::request("listing users"))?;
            print_many(&printer, users.into_iter().map(UserRecord::from).collect())
        }
    }
}

/// The most a request body of the import holds: a margin below the service's limit for the
/// JSON around the users.
const IMPORT_BYTES: usize = commerce_model::admin::IMPORT_BODY_LIMIT - 64 * 1024;

/// Imports the users in as few requests as the service's body limit allows (one, for any file
/// under about 40,000 users): each request is all or nothing; when a later one is refused, the
/// message says how many came in before.
async fn import(client: &Client, users: Vec<NewUser>, file: &Path) -> Result<Vec<User>, CliError> {
    let total = users.len();
    let mut added = Vec::with_capacity(total);
    for batch in batches(users) {
        let count = batch.len();
        let doing = format!("importing {count} user(s) from {}", file.display());
        match client.import_users(batch).await.map_err(CliError::request(doing)) {
            Ok(users) => added.extend(users),
            Err(e) if added.is_empty() => return Err(e),
            Err(e) => {
                let note = format!(
                    "the first {} of {total} users (to line {}) were imported before: import the rest",
                    added.len(),
                    added.len() + 1
                );
                return Err(CliError::Noted { error: Box::new(e), note });
            }
        }
    }
    Ok(added)
}

/// Users in batches whose JSON stays under [`IMPORT_BYTES`].
fn batches(users: Vec<NewUser>) -> Vec<Vec<NewUser>> {
    let mut batches: Vec<Vec<NewUser>> = vec![Vec::new()];
    let mut size = 0;
    for user in users {
        let bytes = serde_json::to_vec(&user).map_or(IMPORT_BYTES, |b| b.len() + 1);
        if size + bytes > IMPORT_BYTES && batches.last().is_some_and(|b| !b.is_empty()) {
            batches.push(Vec::new());
            size = 0;
        }
        size += bytes;
        batches.last_mut().expect("one batch at least").push(user);
    }
    batches
}

/// The users of a CSV file (UTF-8 or UTF-16, with or without a byte order mark; `-` is
/// stdin). Its header names the columns, in any order and case: `upn` or
/// `UserPrincipalName`, `displayName`, and optionally `mail`; other columns are ignored, so
/// a file of `licenses export` imports as it is. A bad row fails the whole file, naming its
/// line.
fn read_users(path: &Path) -> Result<Vec<NewUser>, CliError> {
    let text = read_text(path)?;
    parse_users(&text).map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))
}

/// Where each known column is.
struct Columns {
    upn: usize,
    display_name: usize,
    mail: Option<usize>,
}

fn columns(header: &csv::StringRecord) -> Result<Columns, String> {
    let find = |names: &[&str]| header.iter().position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)));
    let upn = find(&["upn", "UserPrincipalName"]);
    let display_name = find(&["displayName", "display name"]);
    match (upn, display_name) {
        (Some(upn), Some(display_name)) => Ok(Columns { upn, display_name, mail: find(&["mail", "email"]) }),
        _ => {
            Err("the first line must name the columns: upn,displayName,mail (or UserPrincipalName,DisplayName,Mail)"
                .into())
        }
    }
}

fn parse_users(text: &str) -> Result<Vec<NewUser>, String> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| format!("line 1: {e}"))?.clone();
    let columns = columns(&header)?;
    let mut users = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in reader.records() {
        let row = row.map_err(|e| match e.position() {
            Some(p) => format!("line {}: {}", p.line(), csv_problem(&e)),
            None => e.to_string(),
        })?;
        let line = row.position().map_or(0, csv::Position::line);
        if row.iter().all(str::is_empty) {
            continue;
        }
        let cell = |i: usize| row.get(i).unwrap_or_default();
        let mail = columns.mail.map(cell).filter(|m| !m.is_empty());
        let user =
            checked(cell(columns.upn), cell(columns.display_name), mail).map_err(|e| format!("line {line}: {e}"))?;
        if let Some(first) = seen.insert(user.user_principal_name.to_lowercase(), line) {
            return Err(format!("line {line}: {} is already on line {first}", user.user_principal_name));
        }
        users.push(user);
    }
    if users.is_empty() {
        return Err("no users in it: after the header, give one user a line".into());
    }
    Ok(users)
}

/// The csv crate's words for a malformed row, short.
fn csv_problem(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} field(s) where the header has {expected_len} (a comma in a name needs \"quotes\")")
        }
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".into(),
        _ => e.to_string(),
    }
}

/// A user to add, or why not: a principal name like `alice@contoso.com`, a display name,
/// and a mail address if any.
fn checked(upn: &str, display_name: &str, mail: Option<&str>) -> Result<NewUser, String> {
    let upn = upn.trim();
    if !is_address(upn) {
        return Err(format!("'{upn}' is not a user principal name (like alice@contoso.com)"));
    }
    let display_name = display_name.trim();
    if display_name.is_empty() {
        return Err(format!("{upn} has no display name"));
    }
    let mail = mail.map(str::trim).filter(|m| !m.is_empty());
    if let Some(mail) = mail.filter(|m| !is_address(m)) {
        return Err(format!("'{mail}' is not a mail address (like alice@contoso.com)"));
    }
    Ok(NewUser {
        id: None,
        user_principal_name: upn.to_string(),
        display_name: display_name.to_string(),
        mail: mail.map(str::to_string),
    })
}

/// `name@domain`, one `@`, no spaces or control characters.
fn is_address(text: &str) -> bool {
    let mut parts = text.split('@');
    let (Some(name), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else { return false };
    !name.is_empty() && !domain.is_empty() && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_headers_work_in_any_order_and_case() {
        let ours = parse_users("upn,displayName,mail\nana@x.test,\"Muñoz, Ana\",ana@mail.test\n").unwrap();
        let theirs = parse_users("Mail,DisplayName,UserPrincipalName\n,Zoë,zoe@x.test\n").unwrap();
        assert_eq!(ours[0].display_name, "Muñoz, Ana");
        assert_eq!(ours[0].mail.as_deref(), Some("ana@mail.test"));
        assert_eq!((theirs[0].user_principal_name.as_str(), theirs[0].mail.as_deref()), ("zoe@x.test", None));
    }

    #[test]
    fn a_bad_row_names_its_line() {
        let e = parse_users("upn,displayName\na@x.test,A\nnot-a-upn,B\n").unwrap_err();
        assert!(e.starts_with("line 3: 'not-a-upn'"), "{e}");
        let e = parse_users("upn,displayName\na@x.test,A\nb@x.test,B,extra\n").unwrap_err();
        assert!(e.starts_with("line 3: 3 field(s)"), "{e}");
        let e = parse_users("upn,displayName\na@x.test,A\nA@X.test,Again\n").unwrap_err();
        assert!(e.contains("already on line 2"), "{e}");
    }

    #[test]
    fn large_imports_go_in_batches_under_the_body_limit() {
        // Some 60,000 users are more than one body of the import route holds.
        let count = 60_000;
        let users: Vec<NewUser> =
            (0..count).map(|i| checked(&format!("user{i}@contoso.test"), "A Name", None).unwrap()).collect();
        let batches = batches(users);
        assert!(batches.len() > 1);
        assert_eq!(batches.iter().map(Vec::len).sum::<usize>(), count);
        for batch in &batches {
            let body = serde_json::to_vec(&serde_json::json!({"items": batch})).unwrap();
            assert!(body.len() < commerce_model::admin::IMPORT_BODY_LIMIT);
        }
    }

    #[test]
    fn a_header_without_the_columns_is_refused() {
        assert!(parse_users("name,address\nA,a@x.test\n").unwrap_err().contains("upn,displayName,mail"));
        assert!(parse_users("upn,displayName\n").unwrap_err().contains("no users"));
    }
}
