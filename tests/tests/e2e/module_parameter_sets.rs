//! The PowerShell module's parameter sets are MSCommerce 2.x's (and the baseline cmdlets' own),
//! and MSCommerce's documented usage, the module's help examples and docs/cmdlets.md bind to them
//! unchanged, as PowerShell would bind them.

use std::collections::BTreeSet;

use commerce_e2e::Sandbox;
use commerce_e2e::powershell::{
    ALL_SETS, Param, Script, Value, bind, bind_positional, calls, public_functions, repo_root,
};

// ---------------------------------------------------------------------------------------------
// MSCommerce 2.x's parameter sets, and those of the baseline cmdlets

#[test]
fn parameter_sets_are_those_of_mscommerce_2_and_of_the_baseline_cmdlets() {
    // Cmdlet, default set, and each set as its parameters (`Name?` when optional).
    type Sets<'a> = &'a [(&'a str, &'a [&'a str])];
    let expected: &[(&str, Option<&str>, Sets)] = &[
        // One set per sign-in flow of `connect`; device code, the default, binds MSCommerce's
        // parameterless call.
        (
            "Connect-MSCommerce",
            Some("DeviceCode"),
            &[
                ("AccessToken", &["Resource?", "AccessToken", "Environment?", "Endpoint?", "PassThru?"]),
                (
                    "Certificate",
                    &[
                        "TenantId",
                        "ClientId",
                        "Resource?",
                        "CertificatePath",
                        "CertificatePassword?",
                        "Environment?",
                        "Endpoint?",
                        "PassThru?",
                    ],
                ),
                (
                    "CertificateThumbprint",
                    &[
                        "TenantId",
                        "ClientId",
                        "Resource?",
                        "CertificateThumbprint",
                        "Environment?",
                        "Endpoint?",
                        "PassThru?",
                    ],
                ),
                (
                    "ClientSecret",
                    &["TenantId", "ClientId", "Resource?", "ClientSecret", "Environment?", "Endpoint?", "PassThru?"],
                ),
                (
                    "DeviceCode",
                    &[
                        "TenantId?",
                        "ClientId?",
                        "RedirectUri?",
                        "Resource?",
                        "DeviceCode?",
                        "Environment?",
                        "Endpoint?",
                        "PassThru?",
                    ],
                ),
                (
                    "FederatedToken",
                    &[
                        "TenantId",
                        "ClientId",
                        "Resource?",
                        "FederatedTokenFile",
                        "Environment?",
                        "Endpoint?",
                        "PassThru?",
                    ],
                ),
                (
                    "GitHubActions",
                    &["TenantId", "ClientId", "Resource?", "GitHubActions", "Environment?", "Endpoint?", "PassThru?"],
                ),
                (
                    "ManagedIdentity",
                    &[
                        "TenantId?",
                        "ClientId?",
                        "Resource?",
                        "ManagedIdentity",
                        "Environment?",
                        "Endpoint?",
                        "PassThru?",
                    ],
                ),
            ],
        ),
        ("Disconnect-MSCommerce", None, &[(ALL_SETS, &[])]),
        ("Get-MSCommercePolicies", None, &[(ALL_SETS, &["Token?"])]),
        ("Get-MSCommercePolicy", None, &[(ALL_SETS, &["PolicyId", "Token?"])]),
        ("Get-MSCommerceProductPolicies", None, &[(ALL_SETS, &["PolicyId", "Scope?", "Token?"])]),
        (
            "Get-MSCommerceProductPolicy",
            Some("Product"),
            &[("OfferType", &["PolicyId", "OfferType", "Token?"]), ("Product", &["PolicyId", "ProductId", "Token?"])],
        ),
        (
            "Update-MSCommerceProductPolicy",
            Some("ProductEnum"),
            &[
                ("OfferTypeEnum", &["PolicyId", "OfferType", "Value", "Token?"]),
                ("OfferTypeToggle", &["PolicyId", "OfferType", "Enabled", "Token?"]),
                ("ProductEnum", &["PolicyId", "ProductId", "Value", "Token?"]),
                ("ProductToggle", &["PolicyId", "ProductId", "Enabled", "Token?"]),
            ],
        ),
        // Policy as code (issue 5): a baseline file, or for apply a saved plan, which the binary
        // refuses together with a baseline file.
        ("Test-CommercePolicyBaseline", None, &[(ALL_SETS, &["Path", "AllowUnknownProducts?", "Quiet?"])]),
        (
            "Invoke-CommercePolicyBaseline",
            Some("Baseline"),
            &[
                ("Baseline", &["Path", "AllowUnknownProducts?", "Concurrency?"]),
                ("SavedPlan", &["PlanPath", "Concurrency?"]),
            ],
        ),
        ("Export-CommercePolicyBaseline", None, &[(ALL_SETS, &["PolicyId?", "Default?", "Path?"])]),
    ];
    // And the administration cmdlets' (issue 11), listed with their tests.
    let expected: Vec<_> = expected.iter().chain(crate::module_admin::ADMIN_PARAMETER_SETS).collect();
    let functions = public_functions();
    let mut problems = Vec::new();
    for function in &functions {
        if !expected.iter().any(|(name, _, _)| *name == function.name) {
            problems.push(format!("{}: its parameter sets are not listed here", function.name));
        }
    }
    for (name, default, sets) in expected {
        let Some(function) = functions.iter().find(|f| f.name == *name) else {
            problems.push(format!("{name} is not defined"));
            continue;
        };
        let actual: Vec<(String, Vec<String>)> =
            function.sets().into_iter().map(|s| (s.clone(), function.describe_set(&s))).collect();
        let wanted: Vec<(String, Vec<String>)> =
            sets.iter().map(|(s, ps)| (s.to_string(), ps.iter().map(|p| p.to_string()).collect())).collect();
        if actual != wanted {
            problems.push(format!("{name}: parameter sets\n  are    {actual:?}\n  should {wanted:?}"));
        }
        if function.binding_string("DefaultParameterSetName").as_deref() != *default {
            problems.push(format!(
                "{name}: DefaultParameterSetName is {:?}, should be {default:?}",
                function.binding_string("DefaultParameterSetName")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn update_supports_should_process_pipeline_input_and_mscommerce_values() {
    let functions = public_functions();
    let update =
        functions.iter().find(|f| f.name == "Update-MSCommerceProductPolicy").expect("Update-MSCommerceProductPolicy");
    assert!(update.binding_flag("SupportsShouldProcess"));
    assert_eq!(update.binding_string("ConfirmImpact").as_deref(), Some("Medium"));
    for (param, set) in [
        ("PolicyId", "ProductEnum"),
        ("PolicyId", "ProductToggle"),
        ("ProductId", "ProductEnum"),
        ("ProductId", "ProductToggle"),
    ] {
        let (_, pipeline) = update.param(param).and_then(|p| p.membership(set)).expect("member of the set");
        assert!(pipeline, "-{param} must take ValueFromPipelineByPropertyName in {set}");
    }
    assert_eq!(
        update.param("Value").and_then(Param::validate_set),
        Some(vec!["Enabled".to_string(), "Disabled".to_string(), "OnlyTrialsWithoutPaymentMethod".to_string()])
    );
    // $true and $false bind to a [string] -Enabled as 'True' and 'False'; any other value is a
    // non-terminating error of the cmdlet (as in MSCommerce), not a binding error that stops
    // the script: no ValidateSet.
    let enabled = update.param("Enabled").expect("-Enabled");
    assert_eq!(enabled.type_name.to_ascii_lowercase(), "[string]");
    assert_eq!(enabled.validate_set(), None);
    let checker = std::fs::read_to_string(
        repo_root().join("module/CommercePolicy/Private/ConvertTo-CommercePolicyWantedValue.ps1"),
    )
    .expect("the -Enabled check");
    assert!(checker.contains("$Cmdlet.WriteError($record)") && !checker.contains("ThrowTerminatingError"));

    // Offer types from the pipeline: Get-MSCommerceProductPolicies -Scope OfferType prints
    // ScopeId (and no ProductId), which binds -OfferType by its alias.
    let offer_type = update.param("OfferType").expect("-OfferType");
    for set in ["OfferTypeEnum", "OfferTypeToggle"] {
        assert_eq!(offer_type.membership(set), Some((true, true)), "-OfferType in {set}: mandatory, from the pipeline");
    }
    let aliases: Vec<String> = offer_type
        .attributes
        .iter()
        .filter(|a| a.is("Alias"))
        .flat_map(|a| a.positional.iter().flat_map(Value::strings))
        .collect();
    assert_eq!(aliases, ["ScopeId"]);
    let run = Sandbox::new().against("local").run(&[
        "product-policies",
        "list",
        "--policy-id",
        "AllowSelfServicePurchase",
        "--scope",
        "OfferType",
        "--output",
        "json",
    ]);
    run.assert_ok();
    let listed = run.json();
    let first = listed.as_array().and_then(|a| a.first()).cloned().expect("offer types");
    assert!(
        first.get("ScopeId").is_some() && first.get("PolicyId").is_some() && first.get("ProductId").is_none(),
        "{first}"
    );
}

#[test]
fn baseline_cmdlets_confirm_what_they_change_and_take_files_from_the_pipeline() {
    let functions = public_functions();
    let function = |name: &str| functions.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("{name}"));

    // Apply changes every product that differs at once: it asks first unless -Confirm:$false.
    let invoke = function("Invoke-CommercePolicyBaseline");
    assert!(invoke.binding_flag("SupportsShouldProcess"));
    assert_eq!(invoke.binding_string("ConfirmImpact").as_deref(), Some("High"));
    // Export replaces a file, as Export-Csv does.
    assert!(function("Export-CommercePolicyBaseline").binding_flag("SupportsShouldProcess"));
    // Test only reads.
    assert!(!function("Test-CommercePolicyBaseline").binding_flag("SupportsShouldProcess"));

    // Get-ChildItem *.json | Test-CommercePolicyBaseline: a FileInfo binds by its FullName.
    for (name, set) in [("Test-CommercePolicyBaseline", ALL_SETS), ("Invoke-CommercePolicyBaseline", "Baseline")] {
        let path = function(name).param("Path").expect("-Path");
        assert_eq!(
            path.membership(set),
            Some((true, true)),
            "{name} -Path: mandatory, from the pipeline by property name"
        );
        let aliases: Vec<String> = path
            .attributes
            .iter()
            .filter(|a| a.is("Alias"))
            .flat_map(|a| a.positional.iter().flat_map(Value::strings))
            .collect();
        assert_eq!(aliases, ["FullName"], "{name} -Path");
    }
    assert_eq!(
        function("Export-CommercePolicyBaseline").param("Default").and_then(Param::validate_set),
        Some(vec!["Enabled".to_string(), "Disabled".to_string(), "OnlyTrialsWithoutPaymentMethod".to_string()])
    );
}

// ---------------------------------------------------------------------------------------------
// MSCommerce's documented usage binds unchanged

#[test]
fn mscommerce_documented_usage_binds_to_our_cmdlets() {
    // From Microsoft's "Use AllowSelfServicePurchase for the MSCommerce PowerShell module"
    // (2019, 2023, 2024 and 2025 versions) and the community loop that disables every product;
    // placeholders like <ProductID> are replaced with real ids. Each usage with the set it must
    // bind to, per cmdlet call in it.
    let usages: &[(&str, &[&str])] = &[
        ("Connect-MSCommerce", &["DeviceCode"]),
        (
            "Connect-MSCommerce #sign-in with your global or billing administrator account when prompted",
            &["DeviceCode"],
        ),
        // MSCommerce's own parameters, with its defaults spelt out.
        (
            "Connect-MSCommerce -ClientId 3d5cffa9-04da-4657-8cab-c7f074657cad -RedirectUri http://localhost/m365/commerce -Resource aeb86249-8ea3-49e2-900b-54cc8e308f85/.default",
            &["DeviceCode"],
        ),
        // MSCommerce's positions 0, 1 and 2: -ClientId, -RedirectUri, -Resource.
        ("Connect-MSCommerce 3d5cffa9-04da-4657-8cab-c7f074657cad", &["DeviceCode"]),
        (
            "Connect-MSCommerce 3d5cffa9-04da-4657-8cab-c7f074657cad http://localhost/m365/commerce aeb86249-8ea3-49e2-900b-54cc8e308f85/.default",
            &["DeviceCode"],
        ),
        ("Get-MSCommercePolicies", &[ALL_SETS]),
        // -Path is position 0 on the baseline cmdlets.
        ("Test-CommercePolicyBaseline ./baseline.json -Quiet", &[ALL_SETS]),
        ("Invoke-CommercePolicyBaseline ./baseline.json -Confirm:$false", &["Baseline"]),
        ("Export-CommercePolicyBaseline ./baseline.json -PolicyId AllowSelfServicePurchase", &[ALL_SETS]),
        ("Get-MSCommercePolicy -PolicyId AllowSelfServicePurchase", &[ALL_SETS]),
        ("Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase", &[ALL_SETS]),
        ("Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase -Scope OfferType", &[ALL_SETS]),
        ("Get-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId CFQ7TTC0KP0N", &["Product"]),
        ("Get-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -OfferType SaaS", &["OfferType"]),
        (
            "Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId CFQ7TTC0KP0N -Value \"Enabled\"",
            &["ProductEnum"],
        ),
        (
            "Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId CFQ7TTC0KP0N -Value \"Disabled\"",
            &["ProductEnum"],
        ),
        (
            "Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId CFQ7TTC0KP0N -Value \"OnlyTrialsWithoutPaymentMethod\" ",
            &["ProductEnum"],
        ),
        (
            "Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -OfferType SaaS -Value \"Enabled\"",
            &["OfferTypeEnum"],
        ),
        (
            "Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -OfferType SaaS -Value \"Disabled\"",
            &["OfferTypeEnum"],
        ),
        (
            "Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId CFQ7TTC0KP0N -Enabled $True",
            &["ProductToggle"],
        ),
        (
            "Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId CFQ7TTC0KP0N -Enabled $False",
            &["ProductToggle"],
        ),
        (
            "Import-Module -Name MSCommerce\n\
             Connect-MSCommerce #sign-in with your global or billing administrator account when prompted\n\
             $product = Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase | where {$_.ProductName -match 'Power Automate per user'}\n\
             Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId $product.ProductID -Value \"Disabled\"",
            &["DeviceCode", ALL_SETS, "ProductEnum"],
        ),
        (
            "$product = Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase | where {$_.ProductName -match 'Power Automate per user'}\n\
             Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId $product.ProductID -Enabled $false",
            &[ALL_SETS, "ProductToggle"],
        ),
        // Microsoft's own loop, with its `UpdateUpdate-` typo: the two correct calls bind.
        (
            "foreach ($id in $product.ProductID) {UpdateUpdate-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId $product[0].ProductID -Value \"Disabled\"\n\
             Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId $product[1].ProductID -Value \"Disabled\"\n\
             Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -OfferType SaaS -Value \"Disabled\"}",
            &["ProductEnum", "OfferTypeEnum"],
        ),
        (
            "Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId $product[0].ProductID -Enabled $false\n\
             Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId $product[1].ProductID -Enabled $false",
            &["ProductToggle", "ProductToggle"],
        ),
        (
            "Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase | ForEach-Object { Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId $_.ProductID -Enabled $false }",
            &[ALL_SETS, "ProductToggle"],
        ),
        (
            "Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase | forEach { \n\
             Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId $_.ProductID -Enabled $false  }",
            &[ALL_SETS, "ProductToggle"],
        ),
        // What MSCommerce never had: products, and offer types (their ScopeId binds -OfferType),
        // piped straight in.
        (
            "Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase -Scope OfferType | Update-MSCommerceProductPolicy -Enabled $false",
            &[ALL_SETS, "OfferTypeToggle"],
        ),
        (
            "Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase -Scope OfferType | Where-Object ScopeId -eq SaaS | Update-MSCommerceProductPolicy -Value Disabled",
            &[ALL_SETS, "OfferTypeEnum"],
        ),
        ("Get-ChildItem ./baselines -Filter *.json | Test-CommercePolicyBaseline -Quiet", &[ALL_SETS]),
        (
            "Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase | Where-Object PolicyValue -eq Enabled | Update-MSCommerceProductPolicy -Value Disabled -WhatIf",
            &[ALL_SETS, "ProductEnum"],
        ),
        (
            "Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase | Update-MSCommerceProductPolicy -Enabled $false -Confirm:$false",
            &[ALL_SETS, "ProductToggle"],
        ),
    ];

    let functions = public_functions();
    let cmdlets: BTreeSet<String> = functions.iter().map(|f| f.name.clone()).collect();
    let mut problems = Vec::new();
    for (usage, wanted) in usages {
        let script = Script::parse("usage", usage.to_string());
        let errors = script.syntax_errors();
        if !errors.is_empty() {
            problems.push(format!("`{usage}` does not parse: {errors:?}"));
            continue;
        }
        let bound: Vec<String> = calls(&script, &cmdlets)
            .iter()
            .map(|call| {
                let function = functions.iter().find(|f| f.name.eq_ignore_ascii_case(&call.cmdlet)).expect("cmdlet");
                bind(function, call).unwrap_or_else(|why| format!("{} at {}: {why}", call.cmdlet, call.at))
            })
            .collect();
        if bound != wanted.iter().map(|s| s.to_string()).collect::<Vec<_>>() {
            problems.push(format!("`{usage}`\n  binds to {bound:?}\n  wanted   {wanted:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The code of every `.EXAMPLE` of the module's help (up to its first blank line) and of every
/// `powershell` block of docs/cmdlets.md, each with where it is.
fn documented_examples() -> Vec<(String, String)> {
    let mut examples = Vec::new();
    for function in public_functions() {
        for example in function.help.split(".EXAMPLE").skip(1) {
            let code: Vec<&str> =
                example.lines().map(str::trim).skip_while(|l| l.is_empty()).take_while(|l| !l.is_empty()).collect();
            examples.push((format!("{} .EXAMPLE", function.name), code.join("\n")));
        }
    }
    let doc = std::fs::read_to_string(repo_root().join("docs").join("cmdlets.md")).expect("docs/cmdlets.md");
    let fence = "```powershell\n";
    let mut rest = doc.as_str();
    while let Some(start) = rest.find(fence) {
        let body = &rest[start + fence.len()..];
        let end = body.find("```").expect("every code block of docs/cmdlets.md is closed");
        examples.push(("docs/cmdlets.md".to_string(), body[..end].to_string()));
        rest = &body[end + 3..];
    }
    examples
}

#[test]
fn every_example_in_the_help_and_the_docs_binds_to_a_parameter_set() {
    let functions = public_functions();
    let cmdlets: BTreeSet<String> = functions.iter().map(|f| f.name.clone()).collect();
    let mut problems = Vec::new();
    let mut used = BTreeSet::new();
    for (at, code) in documented_examples() {
        let script = Script::parse(&at, code.clone());
        let errors = script.syntax_errors();
        if !errors.is_empty() {
            problems.push(format!("{at}: `{code}` does not parse: {errors:?}"));
            continue;
        }
        for call in calls(&script, &cmdlets) {
            let function = functions.iter().find(|f| f.name.eq_ignore_ascii_case(&call.cmdlet)).expect("cmdlet");
            used.insert(function.name.clone());
            if let Err(why) = bind(function, &call) {
                problems.push(format!("{at}: `{code}`: {} does not bind: {why}", call.cmdlet));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(used, cmdlets, "cmdlets in the examples (left) and public cmdlets (right)");
}

#[test]
fn usage_that_mscommerce_rejects_does_not_bind_either() {
    // The binder above must be able to say no, or the test before proves nothing.
    let functions = public_functions();
    let cmdlets: BTreeSet<String> = functions.iter().map(|f| f.name.clone()).collect();
    for usage in [
        "Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId CFQ7TTC0KP0N",
        "Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId CFQ7TTC0KP0N -Value Maybe",
        "Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId CFQ7TTC0KP0N -OfferType SaaS -Value Disabled",
        "Update-MSCommerceProductPolicy -ProductId CFQ7TTC0KP0N -Value Disabled",
        "Get-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -Product CFQ7TTC0KP0N -NoSuch 1",
        // The sign-in flows exclude each other, and an application names its tenant and itself.
        "Connect-MSCommerce -TenantId contoso.onmicrosoft.com -ClientId $app -ClientSecret $secret -ManagedIdentity",
        "Connect-MSCommerce -DeviceCode -AccessToken $token",
        "Connect-MSCommerce -ClientSecret $secret",
        "Connect-MSCommerce -TenantId contoso.onmicrosoft.com -CertificatePath app.pfx",
        "Connect-MSCommerce -RedirectUri http://localhost -ManagedIdentity",
        "Connect-MSCommerce -Environment mars",
        // Three positions at most; -RedirectUri only where a person signs in.
        "Connect-MSCommerce a http://localhost b c",
    ] {
        let script = Script::parse("usage", usage.to_string());
        let call = calls(&script, &cmdlets).into_iter().next().expect("a call");
        let function = functions.iter().find(|f| f.name == call.cmdlet).expect("cmdlet");
        assert!(bind(function, &call).is_err(), "`{usage}` binds to {:?}", bind(function, &call));
    }
}

#[test]
fn positional_arguments_bind_to_mscommerce_positions() {
    let functions = public_functions();
    let cmdlets: BTreeSet<String> = functions.iter().map(|f| f.name.clone()).collect();
    for (usage, index, wanted) in [
        ("Connect-MSCommerce $clientId", 0, "ClientId"),
        ("Connect-MSCommerce $clientId $redirect", 1, "RedirectUri"),
        ("Connect-MSCommerce $clientId $redirect $resource", 2, "Resource"),
        ("Connect-MSCommerce -TenantId contoso.onmicrosoft.com $clientId", 0, "ClientId"),
        ("Test-CommercePolicyBaseline ./baseline.json", 0, "Path"),
        ("Invoke-CommercePolicyBaseline ./baseline.json", 0, "Path"),
        ("Export-CommercePolicyBaseline ./baseline.json", 0, "Path"),
    ] {
        let script = Script::parse("usage", usage.to_string());
        let call = calls(&script, &cmdlets).into_iter().next().expect("a call");
        let function = functions.iter().find(|f| f.name == call.cmdlet).expect("cmdlet");
        assert_eq!(bind_positional(function, &call, index).as_deref(), Ok(wanted), "`{usage}`");
    }
}
