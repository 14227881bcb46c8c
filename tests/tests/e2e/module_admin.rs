//! The PowerShell module's administration cmdlets against the real binary: each type name has a
//! view whose columns the binary prints, the objects the module's bindings assume are the ones
//! the binary prints, a subscription piped into Move-CommerceSelfServiceUser binds its
//! SubscriptionId by property name and its -WhatIf is the service's own answer, the two sides of
//! Stop-CommerceSelfServiceSubscription run their two subcommands, and -Path of
//! Export-CommerceSelfServiceUser gets the binary's CSV file.

use std::collections::BTreeSet;

use commerce_e2e::Sandbox;
use commerce_e2e::powershell::{
    ADMIN_OUTPUT, ALL_SETS, Script, Value, bind, calls, category_of_exit_code, cmdlets_of, command_table, invoker,
    public_functions,
};
use serde_json::Value as Json;

/// The type names of the administration cmdlets' objects (module_output checks the others).
pub const ADMIN_TYPE_NAMES: &[&str] = &[
    "CommercePolicy.License",
    "CommercePolicy.LicenseHolder",
    "CommercePolicy.Notification",
    "CommercePolicy.Outcome",
    "CommercePolicy.Subscription",
    "CommercePolicy.User",
];

/// A cmdlet's parameter sets, each as its parameters (`Name?` when optional).
pub type Sets = &'static [(&'static str, &'static [&'static str])];

/// The administration cmdlets: name, default set, and sets (module_parameter_sets holds the
/// module's functions to these, with the MSCommerce ones).
pub const ADMIN_PARAMETER_SETS: &[(&str, Option<&str>, Sets)] = &[
    ("Add-CommerceLicenseAssignment", None, &[(ALL_SETS, &["SubscriptionId", "UserPrincipalName", "As?"])]),
    ("Remove-CommerceLicenseAssignment", None, &[(ALL_SETS, &["SubscriptionId", "UserPrincipalName", "As?"])]),
    ("Export-CommerceSelfServiceUser", None, &[(ALL_SETS, &["SubscriptionId", "Path?", "As?"])]),
    ("Get-CommerceNotification", None, &[(ALL_SETS, &["As?"])]),
    ("Get-CommerceSelfServiceLicense", None, &[(ALL_SETS, &["ProductId?", "SelfService?", "As?"])]),
    (
        "Get-CommerceSelfServiceSubscription",
        Some("List"),
        &[
            ("Id", &["SubscriptionId", "As?"]),
            ("List", &["ProductId?", "Purchaser?", "Status?", "SelfService?", "Since?", "AllowProduct?", "As?"]),
        ],
    ),
    ("Get-CommerceUser", None, &[(ALL_SETS, &["As?"])]),
    ("Import-CommerceUser", None, &[(ALL_SETS, &["Path", "As?"])]),
    ("Invoke-CommerceLicenseCentralization", None, &[(ALL_SETS, &["ProductId", "TargetSubscriptionId", "As?"])]),
    ("Move-CommerceSelfServiceUser", None, &[(ALL_SETS, &["SubscriptionId", "TargetSubscriptionId", "As?"])]),
    ("New-CommerceSelfServicePurchase", None, &[(ALL_SETS, &["ProductId", "Quantity", "Trial?", "As?"])]),
    ("New-CommerceSubscription", None, &[(ALL_SETS, &["ProductId", "Quantity", "As?"])]),
    ("New-CommerceUser", None, &[(ALL_SETS, &["UserPrincipalName", "DisplayName", "Mail?", "As?"])]),
    (
        "Stop-CommerceSelfServiceSubscription",
        Some("TakeOver"),
        &[
            ("Purchaser", &["SubscriptionId", "Reason?", "ReasonText?", "AsPurchaser", "As?"]),
            ("TakeOver", &["SubscriptionId", "Reason", "ReasonText?", "As?"]),
        ],
    ),
];

/// A product that the embedded store's catalogue sells self-service (Clipchamp Premium).
const PRODUCT: &str = "CFQ7TTC0N8SS";

/// A tenant in the embedded local store: Ann (with a mail address) bought three licenses and
/// holds one with Bob; the tenant bought five centrally.
struct Tenant {
    sandbox: Sandbox,
    bought: String,
    central: String,
}

impl Tenant {
    fn new() -> Tenant {
        let sandbox = Sandbox::new();
        let tenant = Tenant { sandbox, bought: String::new(), central: String::new() };
        tenant.ok(&[
            "users",
            "add",
            "--upn",
            "ann@contoso.com",
            "--display-name",
            "Ann Muñoz",
            "--mail",
            "ann@contoso.com",
        ]);
        tenant.ok(&["users", "add", "--upn", "bob@contoso.com", "--display-name", "Bob, Jr."]);
        let bought = tenant.buy("ann@contoso.com");
        // Its purchaser assigns them: an admin may not before taking it over.
        tenant.ok(&[
            "licenses",
            "assign",
            "--subscription",
            &bought,
            "--user",
            "ann@contoso.com,bob@contoso.com",
            "--as",
            "ann@contoso.com",
        ]);
        let central = tenant.ok(&["subscriptions", "add", "--product-id", PRODUCT, "--quantity", "5"]);
        Tenant { central: id(&central), bought, ..tenant }
    }

    /// A run of the binary as the module makes it (JSON out, JSON log lines), which must succeed.
    fn ok(&self, args: &[&str]) -> Json {
        let run = self.run(args);
        run.assert_ok();
        run.json()
    }

    fn run(&self, args: &[&str]) -> commerce_e2e::Run {
        // Global flags first: a positional argument after `--` ends the command line.
        let mut all = vec!["--output", "json", "--log-format", "json"];
        all.extend_from_slice(args);
        self.sandbox.against("local").run(&all)
    }

    /// A self-service purchase of three licenses as `upn`: its subscription id.
    fn buy(&self, upn: &str) -> String {
        id(&self.ok(&["purchase", "--product-id", PRODUCT, "--quantity", "3", "--as", upn]))
    }

    fn status(&self, subscription: &str) -> String {
        self.ok(&["subscriptions", "get", "--", subscription])["Status"].as_str().unwrap_or_default().to_string()
    }
}

fn id(subscription: &Json) -> String {
    subscription["SubscriptionId"].as_str().expect("SubscriptionId").to_string()
}

/// The first object of what a command printed (an array or one object).
fn first(objects: &Json) -> Json {
    objects.as_array().and_then(|a| a.first()).cloned().unwrap_or_else(|| objects.clone())
}

fn keys(object: &Json) -> Vec<String> {
    object.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

#[test]
fn every_administration_type_has_a_view_whose_columns_and_dates_the_binary_prints() {
    let tenant = Tenant::new();
    // A mail in the outbox: an admin cancels a second purchase of Ann's.
    let second = tenant.buy("ann@contoso.com");
    tenant.ok(&["subscriptions", "take-over", "--cancel", "--reason", "BoughtCentrally", "--", &second]);
    let bought = tenant.bought.as_str();
    let central = tenant.central.as_str();
    let samples: Vec<(&str, Vec<&str>)> = vec![
        ("CommercePolicy.Subscription", vec!["subscriptions", "list", "--self-service"]),
        ("CommercePolicy.License", vec!["licenses", "list", "--self-service"]),
        ("CommercePolicy.LicenseHolder", vec!["licenses", "export", "--subscription", bought]),
        ("CommercePolicy.Outcome", vec!["subscriptions", "take-over", "--move-to", central, "--what-if", "--", bought]),
        ("CommercePolicy.User", vec!["users", "list"]),
        ("CommercePolicy.Notification", vec!["notifications", "list"]),
    ];
    let table = command_table();
    let views = crate::module_output::format_views();
    for (type_name, args) in &samples {
        let objects = tenant.ok(args);
        assert_ne!(objects, Json::Array(Vec::new()), "`{}` printed no objects to check", args.join(" "));
        let object = first(&objects);
        let columns = views.get(*type_name).unwrap_or_else(|| panic!("no view for {type_name}"));
        for column in columns {
            assert!(object.get(column).is_some(), "{type_name}: the view shows {column}, not printed: {object}");
        }
        // The date properties the table converts are ones this type's objects have.
        for (cmdlet, entry) in table.entries() {
            if entry.get("TypeName").and_then(Value::str) != Some(*type_name) {
                continue;
            }
            for date in entry.get("DateProperties").map(Value::strings).unwrap_or_default() {
                assert!(object.get(&date).is_some(), "{cmdlet}: DateProperties {date} is not printed: {object}");
            }
        }
    }
    let typed: BTreeSet<&str> = samples.iter().map(|(t, _)| *t).collect();
    assert_eq!(typed, ADMIN_TYPE_NAMES.iter().copied().collect(), "every administration type has a sample");
}

#[test]
fn the_objects_piped_between_cmdlets_have_the_properties_the_binary_prints() {
    // The binder of the contract tests assumes these properties for the objects piped on; they
    // are the real binary's, so "binds by property name" means the real objects bind.
    let tenant = Tenant::new();
    let printed = |args: &[&str]| keys(&first(&tenant.ok(args)));
    let real: Vec<(&str, Vec<String>)> = vec![
        ("Get-CommerceSelfServiceSubscription", printed(&["subscriptions", "list"])),
        ("Get-CommerceSelfServiceLicense", printed(&["licenses", "list"])),
        ("Export-CommerceSelfServiceUser", printed(&["licenses", "export", "--subscription", &tenant.bought])),
        ("Get-CommerceUser", printed(&["users", "list"])),
    ];
    for (cmdlet, properties) in real {
        let (_, assumed) = ADMIN_OUTPUT.iter().find(|(c, _)| cmdlets_of(c).any(|c| c == cmdlet)).expect(cmdlet);
        let assumed: Vec<String> = assumed.iter().map(|p| p.to_string()).collect();
        assert_eq!(assumed, properties, "{cmdlet}: the properties the binder assumes (left) and the binary prints");
    }
}

#[test]
fn a_piped_subscription_binds_its_subscription_id_into_a_take_over_whose_what_if_the_service_answers() {
    let functions = public_functions();
    let cmdlets: BTreeSet<String> = functions.iter().map(|f| f.name.clone()).collect();
    let bind_last = |code: &str| {
        let script = Script::parse("pipeline", code.to_string());
        let call = calls(&script, &cmdlets).pop().expect("a call");
        let function = functions.iter().find(|f| f.name == call.cmdlet).expect("cmdlet");
        bind(function, &call)
    };
    let piped = "Get-CommerceSelfServiceSubscription -ProductId CFQ7TTC0N8SS | Move-CommerceSelfServiceUser -TargetSubscriptionId $central -WhatIf";
    assert!(bind_last(piped).is_ok(), "{piped}: {:?}", bind_last(piped));
    // Without the pipe nothing gives the mandatory -SubscriptionId: the pipeline does.
    assert!(bind_last("Move-CommerceSelfServiceUser -TargetSubscriptionId $central -WhatIf").is_err());
    // Objects without a SubscriptionId (users) do not bind.
    assert!(bind_last("Get-CommerceUser | Move-CommerceSelfServiceUser -TargetSubscriptionId $central").is_err());

    // The call the cmdlet makes for the piped subscription under -WhatIf: the service answers
    // what would move, be cancelled and be mailed, with the properties the "What if:" lines
    // read, and nothing changes.
    let tenant = Tenant::new();
    let outcome =
        tenant.ok(&["subscriptions", "take-over", "--move-to", &tenant.central, "--what-if", "--", &tenant.bought]);
    assert_eq!(outcome["WhatIf"], true, "{outcome}");
    let moved = outcome["Moved"].as_array().cloned().unwrap_or_default();
    assert_eq!(moved.len(), 2, "{outcome}");
    assert_eq!(outcome["Cancelled"], Json::from(vec![tenant.bought.clone()]), "{outcome}");
    assert_eq!(outcome["Notifications"][0]["Recipient"], "ann@contoso.com", "{outcome}");
    let source = invoker().source;
    for (variable, object, properties) in [
        ("move", &moved[0], &["UserPrincipalName", "From", "To"][..]),
        ("mail", &outcome["Notifications"][0], &["Recipient", "Subject"][..]),
    ] {
        for property in properties {
            assert!(object.get(property).is_some(), "{property}: {object}");
            assert!(source.contains(&format!("${variable}.{property}")), "the What if: line reads {property}");
        }
    }
    assert!(source.contains("$Change.PSObject.Properties['Moved']"), "an outcome gets the outcome's What if: lines");
    assert_eq!(tenant.status(&tenant.bought), "Active", "-WhatIf changed nothing");
}

#[test]
fn take_over_cancel_and_centralize_confirm_and_ask_the_service_for_what_if() {
    let functions = public_functions();
    let table = command_table();
    for cmdlet in
        ["Move-CommerceSelfServiceUser", "Stop-CommerceSelfServiceSubscription", "Invoke-CommerceLicenseCentralization"]
    {
        let function = functions.iter().find(|f| f.name == cmdlet).expect(cmdlet);
        assert!(function.binding_flag("SupportsShouldProcess"), "{cmdlet}");
        assert_eq!(function.binding_string("ConfirmImpact").as_deref(), Some("High"), "{cmdlet}");
        let what_if = table.get(cmdlet).and_then(|e| e.get("Parameters")).and_then(|p| p.get("WhatIf"));
        assert_eq!(what_if.and_then(|m| m.get("Flag")).and_then(Value::str), Some("--what-if"), "{cmdlet}");
        let param = function.param("SubscriptionId").or_else(|| function.param("ProductId")).expect("an id");
        assert!(param.memberships().iter().all(|(_, _, pipeline)| *pipeline), "{cmdlet}: -{} by property", param.name);
    }
    // Every other administration cmdlet that changes something supports -WhatIf and -Confirm.
    for cmdlet in ["New-", "Add-", "Remove-", "Import-"] {
        for function in functions.iter().filter(|f| f.name.starts_with(cmdlet) && f.name.contains("-Commerce")) {
            assert!(function.binding_flag("SupportsShouldProcess"), "{}", function.name);
        }
    }
    // A centralization that lacks licenses changes nothing and is ResourceBusy (exit 6).
    let tenant = Tenant::new();
    let small = id(&tenant.ok(&["subscriptions", "add", "--product-id", PRODUCT, "--quantity", "1"]));
    tenant.run(&["centralize", "--product-id", PRODUCT, "--to", &small]).assert_fails_with(6);
    assert_eq!(category_of_exit_code(6).as_deref(), Some("ResourceBusy"));
    let asked = tenant.ok(&["centralize", "--product-id", PRODUCT, "--to", &tenant.central, "--what-if"]);
    assert_eq!(asked["Notifications"][0]["Kind"], "AskedToCancel", "{asked}");
    assert_eq!(tenant.ok(&["notifications", "list"]), Json::Array(Vec::new()), "-WhatIf mailed nobody");
}

#[test]
fn stop_takes_over_as_an_admin_and_cancels_as_the_purchaser_with_two_subcommands() {
    let functions = public_functions();
    let cmdlets: BTreeSet<String> = functions.iter().map(|f| f.name.clone()).collect();
    let stop = functions.iter().find(|f| f.name == "Stop-CommerceSelfServiceSubscription").expect("Stop-");
    let set_of = |code: &str| {
        let script = Script::parse("usage", code.to_string());
        let call = calls(&script, &cmdlets).pop().expect("a call");
        bind(stop, &call)
    };
    assert_eq!(set_of("Stop-CommerceSelfServiceSubscription $id -Reason BoughtCentrally").as_deref(), Ok("TakeOver"));
    assert_eq!(
        set_of("Stop-CommerceSelfServiceSubscription $id -AsPurchaser -As ann@contoso.com").as_deref(),
        Ok("Purchaser")
    );
    // An admin's take-over needs its reason.
    assert!(set_of("Stop-CommerceSelfServiceSubscription $id").is_err());

    let entry = command_table().get("Stop-CommerceSelfServiceSubscription").cloned().expect("entry");
    let purchaser = entry.get("SetCommands").and_then(|c| c.get("Purchaser")).map(Value::strings);
    assert_eq!(purchaser, Some(vec!["subscriptions".to_string(), "cancel".to_string()]));
    for implied in ["WhatIf", "Cancel"] {
        let mapping =
            entry.get("Parameters").and_then(|p| p.get(implied)).or_else(|| entry.get("Implied")?.get(implied));
        let sets = mapping.and_then(|m| m.get("Sets")).map(Value::strings);
        assert_eq!(sets, Some(vec!["TakeOver".to_string()]), "-{implied} reaches take-over only");
    }

    // The calls of both sets, as the module makes them.
    let tenant = Tenant::new();
    let preview = tenant.ok(&[
        "subscriptions",
        "take-over",
        "--reason",
        "BoughtCentrally",
        "--what-if",
        "--cancel",
        "--",
        &tenant.bought,
    ]);
    assert_eq!(preview["Cancelled"], Json::from(vec![tenant.bought.clone()]), "{preview}");
    assert_eq!(tenant.status(&tenant.bought), "Active");
    let cancelled = tenant.ok(&[
        "subscriptions",
        "cancel",
        "--reason",
        "NoLongerNeeded",
        "--as",
        "ann@contoso.com",
        "--",
        &tenant.bought,
    ]);
    assert_eq!(cancelled["Cancelled"], Json::from(vec![tenant.bought.clone()]), "{cancelled}");
    assert_eq!(tenant.status(&tenant.bought), "Deleted");
    // Someone else's subscription: PermissionDenied (exit 4).
    let other = tenant.buy("bob@contoso.com");
    tenant.run(&["subscriptions", "cancel", "--as", "ann@contoso.com", "--", &other]).assert_fails_with(4);
    assert_eq!(category_of_exit_code(4).as_deref(), Some("PermissionDenied"));
}

#[test]
fn export_with_a_path_asks_the_binary_for_its_csv_file() {
    let mapping = command_table()
        .get("Export-CommerceSelfServiceUser")
        .and_then(|e| e.get("Parameters"))
        .and_then(|p| p.get("Path"))
        .cloned()
        .expect("-Path");
    assert_eq!(mapping.get("OutputFormat").and_then(Value::str), Some("csv"), "{mapping:?}");
    let source = invoker().source;
    assert!(source.contains("$output = [string[]] @($output[0], $call.OutputFormat)"), "--output csv replaces json");

    // The call: ids on stdin, --out, and --output csv in place of json.
    let tenant = Tenant::new();
    let file = tenant.sandbox.path("self-service users.csv");
    let file_arg = file.to_string_lossy().into_owned();
    let args =
        ["licenses", "export", "--subscription", "-", "--out", &file_arg, "--output", "csv", "--log-format", "json"];
    let run = tenant.sandbox.against("local").run_with_stdin(&args, &format!("{}\n", tenant.bought));
    run.assert_ok();
    assert_eq!(run.stdout, "", "the file, not the pipeline, gets the rows");
    let csv = std::fs::read_to_string(&file).expect("the CSV file");
    assert!(csv.starts_with("\u{feff}UserPrincipalName,DisplayName,Mail,"), "{csv}");
    assert!(csv.contains("\"Bob, Jr.\"") && csv.contains("Ann Muñoz"), "{csv}");
}

#[test]
fn subscription_ids_complete_from_the_active_subscriptions_the_binary_lists() {
    // The completer asks `subscriptions list --status Active` through the Get- cmdlet's entry,
    // and shows the product and the purchaser, which that listing prints.
    let source = invoker().source;
    assert!(
        source.contains("$ask.CommandName = 'Get-CommerceSelfServiceSubscription'"),
        "asked as the Get- cmdlet asks"
    );
    assert!(source.contains("$ask.Parameters = @{ Status = 'Active' }"), "only active subscriptions");
    let functions = public_functions();
    let get = functions.iter().find(|f| f.name == "Get-CommerceSelfServiceSubscription").expect("Get-");
    let statuses = get.param("Status").and_then(|p| p.validate_set()).unwrap_or_default();
    assert!(statuses.contains(&"Active".to_string()), "{statuses:?}");
    let tenant = Tenant::new();
    tenant.ok(&["subscriptions", "cancel", "--as", "ann@contoso.com", "--", &tenant.bought]);
    let listed = tenant.ok(&["subscriptions", "list", "--status", "Active"]);
    let ids: Vec<&str> = listed.as_array().into_iter().flatten().filter_map(|s| s["SubscriptionId"].as_str()).collect();
    assert_eq!(ids, [tenant.central.as_str()], "the cancelled purchase is not offered: {listed}");
    // The tooltip reads the purchaser; the id and the product name are the choice's Id and Name.
    assert!(source.contains("$item.Purchaser"), "the tooltip names the purchaser");
    for property in ["SubscriptionId", "ProductName", "Purchaser"] {
        assert!(listed[0].get(property).is_some(), "{property}: {listed}");
    }
}
