//! `users import`: both header spellings, a byte order mark, and a bad row refusing the whole
//! file (exit 2, naming the line) with nothing imported.

use crate::admin_support::*;

#[test]
fn import_reads_either_header_with_a_byte_order_mark_and_non_ascii_names() {
    let t = Tenant::serve();
    let ours = t.sb.path("ours.csv");
    std::fs::write(&ours, "\u{feff}upn,displayName,mail\nana@contoso.test,\"Muñoz, Ana\",ana@mail.test\n").unwrap();
    let theirs = t.sb.path("theirs.csv");
    std::fs::write(&theirs, "UserPrincipalName,DisplayName,Mail\r\nzoe@contoso.test,Zoë Ærøskøbing,\r\n").unwrap();
    for file in [&ours, &theirs] {
        t.run(&["users", "import", file.to_str().unwrap()]).assert_ok();
    }
    let users = t.json(None, &["users", "list"]);
    let mut names: Vec<(String, String)> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["UserPrincipalName"].as_str().unwrap().into(), u["DisplayName"].as_str().unwrap().into()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [("ana@contoso.test".into(), "Muñoz, Ana".into()), ("zoe@contoso.test".into(), "Zoë Ærøskøbing".into())]
    );
}

#[test]
fn import_with_one_bad_row_names_its_line_and_imports_nothing() {
    let t = Tenant::serve();
    let file = t.sb.path("users.csv");
    std::fs::write(&file, "upn,displayName\nana@contoso.test,Ana\nbob,Bob\ncat@contoso.test,Cat\n").unwrap();
    let run = t.run(&["users", "import", file.to_str().unwrap()]);
    run.assert_fails_with(2);
    assert!(run.stderr.contains("line 3") && run.stderr.contains("'bob'"), "{run:#?}");
    assert_eq!(t.json(None, &["users", "list"]), serde_json::json!([]));
}

#[test]
fn import_refused_by_the_service_imports_nothing() {
    let t = Tenant::serve();
    t.add_users(&["ann"]);
    let file = t.sb.path("users.csv");
    std::fs::write(&file, "upn,displayName\nnew@contoso.test,New\nann@contoso.test,Ann again\n").unwrap();
    let run = t.run(&["users", "import", file.to_str().unwrap()]);
    assert_ne!(run.code, 0, "{run:#?}");
    let users = t.json(None, &["users", "list"]);
    assert_eq!(users.as_array().unwrap().len(), 1, "all or nothing: {users}");
}

#[test]
fn import_of_thousands_of_users_is_all_or_nothing() {
    let t = Tenant::serve();
    t.add_users(&["ann"]);
    let mut csv = String::from("upn,displayName,mail\n");
    for i in 0..2000 {
        csv.push_str(&format!("user{i}@contoso.test,User {i},user{i}@contoso.test\n"));
    }
    // Far beyond one 16 KiB body: the import goes in one request, so a refusal at its end
    // leaves the directory as it was.
    let refused = t.sb.path("refused.csv");
    std::fs::write(&refused, format!("{csv}ann@contoso.test,Ann again,\n")).unwrap();
    let run = t.run(&["users", "import", refused.to_str().unwrap()]);
    assert_ne!(run.code, 0, "{run:#?}");
    assert!(run.stderr.contains("ann@contoso.test") && run.stderr.contains("nothing was added"), "{run:#?}");
    assert_eq!(t.json(None, &["users", "list"]).as_array().unwrap().len(), 1);
    let file = t.sb.path("many.csv");
    std::fs::write(&file, csv).unwrap();
    t.run(&["users", "import", file.to_str().unwrap(), "-o", "json"]).assert_ok();
    assert_eq!(t.json(None, &["users", "list"]).as_array().unwrap().len(), 2001);
}
