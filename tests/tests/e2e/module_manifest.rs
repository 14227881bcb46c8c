//! The PowerShell module's files, read without PowerShell: every file parses with a real
//! PowerShell grammar and stays within what Windows PowerShell 5.1 runs; the manifest exports
//! exactly the module's public functions and carries its gallery metadata; every public cmdlet
//! is an advanced function with help and examples.

use std::collections::BTreeSet;

use commerce_e2e::powershell::{Script, Value, manifest, module_dir, powershell_files, public_functions};

// ---------------------------------------------------------------------------------------------
// Every PowerShell file parses, and stays within what Windows PowerShell 5.1 runs

#[test]
fn every_powershell_file_parses_without_error_nodes() {
    let files = powershell_files();
    assert!(files.len() >= 5, "expected the module's and the Pester suite's files, found {files:?}");
    let errors: Vec<String> = files.iter().flat_map(|f| Script::load(f).syntax_errors()).collect();
    assert!(errors.is_empty(), "PowerShell syntax errors:\n{}", errors.join("\n"));
}

#[test]
fn powershell_files_use_only_what_windows_powershell_5_1_runs() {
    let mut problems = Vec::new();
    for file in powershell_files() {
        let script = Script::load(&file);
        // Windows PowerShell reads a file without a byte order mark as ANSI.
        if let Some((row, line)) = script.source.lines().enumerate().find(|(_, l)| !l.is_ascii()) {
            problems.push(format!("{}:{}: non-ASCII text in `{}`", script.name, row + 1, line.trim()));
        }
        for node in script.nodes() {
            match node.kind() {
                // `a && b`, `a || b`: PowerShell 7 only.
                "pipeline_chain_tail" => {
                    problems.push(format!("{}: pipeline chain operator (PowerShell 7 only)", script.at(node)))
                }
                "command_name" if script.text(node).eq_ignore_ascii_case("Write-Host") => {
                    problems.push(format!("{}: Write-Host", script.at(node)))
                }
                _ => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// The manifest and the help

#[test]
fn manifest_exports_exactly_the_public_functions_of_the_psm1() {
    let manifest = manifest();
    let exported: BTreeSet<String> =
        manifest.get("FunctionsToExport").expect("FunctionsToExport").strings().into_iter().collect();
    let defined: BTreeSet<String> = public_functions().into_iter().map(|f| f.name).collect();
    assert_eq!(
        exported, defined,
        "FunctionsToExport (left) differs from the functions defined in CommercePolicy.psm1 (right)"
    );

    let private: Vec<String> = std::fs::read_dir(module_dir().join("Private"))
        .expect("Private/")
        .flatten()
        .flat_map(|e| Script::load(&e.path()).functions())
        .map(|f| f.name)
        .filter(|name| exported.contains(name))
        .collect();
    assert!(private.is_empty(), "private functions are exported: {private:?}");
    for name in ["CmdletsToExport", "VariablesToExport", "AliasesToExport"] {
        assert_eq!(manifest.get(name).map(Value::strings), Some(Vec::new()), "{name} must be an explicit empty list");
    }
}

#[test]
fn manifest_declares_editions_version_and_gallery_metadata() {
    let manifest = manifest();
    let text = |key: &str| manifest.get(key).and_then(Value::str).map(str::to_string);
    assert_eq!(text("PowerShellVersion").as_deref(), Some("5.1"));
    assert_eq!(
        manifest.get("CompatiblePSEditions").map(Value::strings),
        Some(vec!["Core".to_string(), "Desktop".to_string()])
    );
    assert_eq!(
        text("ModuleVersion").as_deref(),
        Some(env!("CARGO_PKG_VERSION")),
        "ModuleVersion follows the workspace version"
    );
    for file in [text("RootModule").expect("RootModule")]
        .into_iter()
        .chain(manifest.get("FormatsToProcess").map(Value::strings).unwrap_or_default())
    {
        assert!(module_dir().join(&file).is_file(), "the manifest names {file}, which is not in the module");
    }
    let psdata = manifest.get("PrivateData").and_then(|p| p.get("PSData")).expect("PrivateData.PSData");
    for key in ["ProjectUri", "LicenseUri", "ReleaseNotes"] {
        assert!(psdata.get(key).and_then(Value::str).is_some_and(|v| !v.is_empty()), "PSData.{key} is missing");
    }
    let tags = psdata.get("Tags").map(Value::strings).unwrap_or_default();
    for tag in ["MSCommerce", "PSEdition_Core", "PSEdition_Desktop"] {
        assert!(tags.iter().any(|t| t == tag), "PSData.Tags lacks {tag}: {tags:?}");
    }
}

#[test]
fn every_public_cmdlet_is_advanced_and_has_help_with_examples() {
    let mut problems = Vec::new();
    for function in public_functions() {
        if function.binding.is_none() {
            problems.push(format!("{}: {} has no [CmdletBinding()]", function.at, function.name));
        }
        for section in [".SYNOPSIS", ".DESCRIPTION", ".EXAMPLE"] {
            if !function.help.contains(section) {
                problems.push(format!("{}: the help of {} has no {section}", function.at, function.name));
            }
        }
        for param in &function.params {
            if !function.help.contains(&format!(".PARAMETER {}", param.name)) {
                problems
                    .push(format!("{}: the help of {} has no .PARAMETER {}", function.at, function.name, param.name));
            }
        }
        let changes_state = ["Update-", "Set-", "Remove-", "New-"].iter().any(|verb| function.name.starts_with(verb));
        if changes_state && !function.binding_flag("SupportsShouldProcess") {
            problems.push(format!("{}: {} changes state without SupportsShouldProcess", function.at, function.name));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
