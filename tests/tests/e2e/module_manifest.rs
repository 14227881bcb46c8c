//! The PowerShell module's files, read without PowerShell: every file parses with a real
//! PowerShell grammar and stays within what Windows PowerShell 5.1 runs; the files are laid
//! out by role (one public cmdlet per file of Public/, helpers in Private/, the command table
//! as data) and the manifest lists every one of them; the manifest exports exactly the public
//! functions and carries its gallery metadata; every public cmdlet is an advanced function with
//! help and examples; every function has an approved verb.

use std::collections::BTreeSet;
use std::path::Path;

use commerce_e2e::powershell::syntax::windows_powershell_problems;
use commerce_e2e::powershell::{
    Script, Value, manifest, module_data, module_dir, module_scripts, powershell_files, psm1, public_functions,
};

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
        for finding in windows_powershell_problems(&script) {
            problems.push(format!("{}: {} (PowerShell 7 only)", finding.at, finding.construct));
        }
        for node in script.nodes() {
            if node.kind() == "command_name" && script.text(node).eq_ignore_ascii_case("Write-Host") {
                problems.push(format!("{}: Write-Host", script.at(node)))
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// The manifest and the help

#[test]
fn every_public_file_holds_the_one_cmdlet_it_is_named_after() {
    let mut problems = Vec::new();
    for script in module_scripts("Public") {
        let stem = Path::new(&script.name).file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        let names: Vec<String> = script.functions().into_iter().map(|f| f.name).collect();
        if names != [stem.clone()] {
            problems.push(format!("{}: defines {names:?}, should define exactly {stem}", script.name));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The root module defines no cmdlet of its own: it loads the files and exports Public/'s.
    assert_eq!(
        psm1().functions().len(),
        0,
        "CommercePolicy.psm1 defines functions; they belong in Public/ or Private/"
    );
    assert!(psm1().source.contains("Export-ModuleMember -Function $publicFunctions"), "Export-ModuleMember");
}

#[test]
fn the_manifest_lists_every_file_of_the_module_and_nothing_else() {
    // A file left out of the folder (or of the package) is a cmdlet or helper missing: the
    // FileList names them all, and scripts/package-module.sh checks the package against it.
    fn walk(dir: &Path, root: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).expect("read the module folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                out.insert(path.strip_prefix(root).expect("inside").to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut on_disk = BTreeSet::new();
    walk(&module_dir(), &module_dir(), &mut on_disk);
    let listed: BTreeSet<String> =
        manifest().get("FileList").expect("FileList").strings().into_iter().map(|f| f.replace('\\', "/")).collect();
    assert_eq!(listed, on_disk, "the manifest's FileList (left) and the module folder (right)");
    assert!(
        listed.contains("CommercePolicy.Commands.psd1") && psm1().source.contains("CommercePolicy.Commands.psd1"),
        "the command table is data of its own, read by the root module"
    );
    let script = std::fs::read_to_string(commerce_e2e::powershell::repo_root().join("scripts/package-module.sh"))
        .expect("scripts/package-module.sh");
    assert!(script.contains("FileList"), "package-module.sh checks the package against the FileList");
}

#[test]
fn manifest_exports_exactly_the_public_functions() {
    let manifest = manifest();
    let exported: BTreeSet<String> =
        manifest.get("FunctionsToExport").expect("FunctionsToExport").strings().into_iter().collect();
    let defined: BTreeSet<String> = public_functions().into_iter().map(|f| f.name).collect();
    assert_eq!(exported, defined, "FunctionsToExport (left) differs from the functions of Public/ (right)");
    let commands: BTreeSet<String> =
        module_data().get("Commands").map(|c| c.entries().iter().map(|(k, _)| k.clone()).collect()).unwrap_or_default();
    assert_eq!(commands, defined, "the command table (left) differs from the functions of Public/ (right)");

    let private: Vec<String> = module_scripts("Private")
        .iter()
        .flat_map(Script::functions)
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

/// PowerShell's approved verbs (`Get-Verb`), of every group.
const APPROVED_VERBS: &[&str] = &[
    "Add",
    "Clear",
    "Close",
    "Copy",
    "Enter",
    "Exit",
    "Find",
    "Format",
    "Get",
    "Hide",
    "Join",
    "Lock",
    "Move",
    "New",
    "Open",
    "Optimize",
    "Pop",
    "Push",
    "Redo",
    "Remove",
    "Rename",
    "Reset",
    "Resize",
    "Search",
    "Select",
    "Set",
    "Show",
    "Skip",
    "Split",
    "Step",
    "Switch",
    "Undo",
    "Unlock",
    "Watch",
    "Connect",
    "Disconnect",
    "Read",
    "Receive",
    "Send",
    "Write",
    "Backup",
    "Checkpoint",
    "Compare",
    "Compress",
    "Convert",
    "ConvertFrom",
    "ConvertTo",
    "Dismount",
    "Edit",
    "Expand",
    "Export",
    "Group",
    "Import",
    "Initialize",
    "Limit",
    "Merge",
    "Mount",
    "Out",
    "Publish",
    "Restore",
    "Save",
    "Sync",
    "Unpublish",
    "Update",
    "Debug",
    "Measure",
    "Ping",
    "Repair",
    "Resolve",
    "Test",
    "Trace",
    "Approve",
    "Assert",
    "Build",
    "Complete",
    "Confirm",
    "Deny",
    "Deploy",
    "Disable",
    "Enable",
    "Install",
    "Invoke",
    "Register",
    "Request",
    "Restart",
    "Resume",
    "Start",
    "Stop",
    "Submit",
    "Suspend",
    "Uninstall",
    "Unregister",
    "Wait",
    "Block",
    "Grant",
    "Protect",
    "Revoke",
    "Unblock",
    "Unprotect",
    "Use",
];

#[test]
fn every_function_of_the_module_has_an_approved_verb() {
    // Import-Module warns about unapproved verbs; the Gallery's analyzer flags them.
    let mut problems = Vec::new();
    for folder in ["Public", "Private"] {
        for script in module_scripts(folder) {
            for function in script.functions() {
                let verb = function.name.split('-').next().unwrap_or_default();
                if !APPROVED_VERBS.contains(&verb) {
                    problems.push(format!("{}: {} has no approved verb", script.name, function.name));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
