//! Each subcommand's help lists what it uses, and shells complete the catalogue's ids:
//! `serve --help` without the client flags (which stay accepted where they were), and
//! `completions` offering the built-in catalogue's product ids and offer types while an
//! uncatalogued well-formed id is still accepted.

use commerce_e2e::Sandbox;

const CLIENT_FLAGS: [&str; 7] =
    ["--endpoint", "--output", "--access-token", "--timeout", "--retry-timeout", "--max-retries", "--verbose"];

#[test]
fn serve_help_lists_only_what_serve_uses() {
    let sb = Sandbox::new();
    let help = sb.run(&["serve", "--help"]).assert_ok().stdout.clone();
    assert!(help.contains("--listen") && help.contains("--store"), "{help}");
    for flag in CLIENT_FLAGS {
        assert!(!help.contains(flag), "serve --help lists {flag}:\n{help}");
    }
    let client_help = sb.run(&["policies", "list", "--help"]).assert_ok().stdout.clone();
    assert!(CLIENT_FLAGS.iter().all(|f| client_help.contains(f)), "{client_help}");
}

#[test]
fn global_flags_work_before_and_after_the_subcommand() {
    let sb = Sandbox::new();
    for args in [
        ["-o", "json", "--endpoint", "local", "product-policies", "list"],
        ["product-policies", "list", "-o", "json", "--endpoint", "local"],
        ["--endpoint", "local", "product-policies", "-o", "json", "list"],
    ] {
        let listed = sb.run(&args).assert_ok().json();
        assert!(listed.as_array().is_some_and(|a| !a.is_empty()), "{args:?}");
    }
}

#[test]
fn bash_zsh_and_fish_complete_the_catalogue_ids() {
    let sb = Sandbox::new();
    for shell in ["bash", "zsh", "fish"] {
        let script = sb.run(&["completions", shell]).assert_ok().stdout.clone();
        for id in ["CFQ7TTC0H9MP", "CFQ7TTC0HDB1", "POWERBIVISUALS"] {
            assert!(script.contains(id), "{shell} does not complete {id}");
        }
    }
    let zsh = sb.run(&["completions", "zsh"]).assert_ok().stdout.clone();
    assert!(zsh.contains("CFQ7TTC0H9MP\\:\"Power BI Pro\""), "zsh shows the product's name");
}

#[test]
fn the_ids_stay_out_of_help_and_an_uncatalogued_well_formed_id_is_accepted() {
    let sb = Sandbox::new();
    let help = sb.run(&["product-policies", "update", "--help"]).assert_ok().stdout.clone();
    assert!(!help.contains("CFQ7TTC0HDB1") && !help.contains("CFQ7TTC0N8SS"), "{help}");
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let unknown = cli.run(&["product-policies", "get", "--product-id", "test00000001"]);
    unknown.assert_fails_with(5);
    assert!(unknown.stderr.contains("product TEST00000001 was not found"), "{}", unknown.stderr);
    let update = cli.run(&[
        "product-policies",
        "update",
        "--product-id",
        "TEST00000001,CFQ7TTC0H9MP",
        "--value",
        "Disabled",
        "--what-if",
        "-o",
        "json",
    ]);
    let results = update.json();
    assert_eq!(results[1]["Status"], "WouldUpdate", "{results:#}");
    let malformed = cli.run(&["product-policies", "get", "--product-id", "CFQ7"]);
    malformed.assert_fails_with(2);
    assert!(malformed.stderr.contains("'CFQ7' is not a product id"), "{}", malformed.stderr);
}
