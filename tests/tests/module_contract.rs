//! Contract tests of the PowerShell module (`module/CommercePolicy`), for machines where no
//! PowerShell can run: every PowerShell file parses with a real PowerShell grammar
//! (tree-sitter-powershell); the manifest exports exactly the module's public functions; every
//! cmdlet parameter maps onto a flag that the real binary accepts (its own `describe-cli` tree);
//! the parameter sets are MSCommerce 2.x's; and MSCommerce's documented usage binds unchanged.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use commerce_e2e::{Run, Sandbox, binary};
use serde_json::Value as Json;
use tree_sitter::{Node, Parser, Tree};

// ---------------------------------------------------------------------------------------------
// Where things are

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

fn module_dir() -> PathBuf {
    repo_root().join("module").join("CommercePolicy")
}

/// Every PowerShell source file of the module and of the Pester suite.
fn powershell_files() -> Vec<PathBuf> {
    fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                collect(&path, files);
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("ps1" | "psm1" | "psd1")) {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    collect(&module_dir(), &mut files);
    collect(&repo_root().join("tests").join("pester"), &mut files);
    files.sort();
    files
}

/// The binary's command tree, as `commerce-policy describe-cli` prints it.
fn command_tree() -> &'static Json {
    static TREE: OnceLock<Json> = OnceLock::new();
    TREE.get_or_init(|| {
        let output = Command::new(binary()).arg("describe-cli").output().expect("run describe-cli");
        assert!(output.status.success(), "describe-cli failed: {}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).expect("describe-cli prints JSON")
    })
}

/// The node of a subcommand path in the command tree.
fn subcommand(path: &[String]) -> Option<&'static Json> {
    let mut node = command_tree();
    for part in path {
        node = node["subcommands"]
            .as_array()?
            .iter()
            .find(|s| s["path"].as_array().and_then(|p| p.last()) == Some(&Json::from(part.as_str())))?;
    }
    Some(node)
}

// ---------------------------------------------------------------------------------------------
// Reading PowerShell with tree-sitter

/// A parsed PowerShell file.
struct Script {
    name: String,
    source: String,
    tree: Tree,
}

impl Script {
    fn parse(name: &str, source: String) -> Script {
        let mut parser = Parser::new();
        parser.set_language(&tree_sitter_powershell::LANGUAGE.into()).expect("load the PowerShell grammar");
        let tree = parser.parse(&source, None).expect("tree-sitter returns a tree");
        Script { name: name.to_string(), source, tree }
    }

    fn load(path: &Path) -> Script {
        let source = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let name = path.strip_prefix(repo_root()).unwrap_or(path).display().to_string();
        Script::parse(&name, source)
    }

    fn text(&self, node: Node) -> &str {
        &self.source[node.byte_range()]
    }

    fn at(&self, node: Node) -> String {
        let p = node.start_position();
        format!("{}:{}:{}", self.name, p.row + 1, p.column + 1)
    }

    /// Every node, depth first.
    fn nodes(&self) -> Vec<Node<'_>> {
        fn walk<'t>(node: Node<'t>, out: &mut Vec<Node<'t>>) {
            out.push(node);
            let mut cursor = node.walk();
            for child in node.children(&mut cursor) {
                walk(child, out);
            }
        }
        let mut out = Vec::new();
        walk(self.tree.root_node(), &mut out);
        out
    }

    /// Syntax errors, each with its place and the line it is on.
    fn syntax_errors(&self) -> Vec<String> {
        self.nodes()
            .into_iter()
            .filter(|n| n.is_error() || n.is_missing())
            .map(|n| {
                let line = self.source.lines().nth(n.start_position().row).unwrap_or("").trim();
                let what = if n.is_missing() { format!("missing {}", n.kind()) } else { "syntax error".to_string() };
                format!("{}: {what} in `{line}`", self.at(n))
            })
            .collect()
    }

    fn functions(&self) -> Vec<Function> {
        self.nodes().into_iter().filter(|n| n.kind() == "function_statement").map(|n| Function::read(self, n)).collect()
    }

    /// The value assigned to a variable at the top of the file, like `$script:CommandTable`.
    fn assignment(&self, variable: &str) -> Option<Value> {
        self.nodes().into_iter().filter(|n| n.kind() == "assignment_expression").find_map(|n| {
            let left = n.named_child(0)?;
            if !self.text(left).eq_ignore_ascii_case(variable) {
                return None;
            }
            let right = named_children(n).pop()?;
            Some(Value::read(self, right))
        })
    }
}

fn named_children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

fn children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.children(&mut cursor).collect()
}

/// A literal PowerShell value: what the manifest, the command table and attributes are made of.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    Bool(bool),
    Null,
    List(Vec<Value>),
    Map(Vec<(String, Value)>),
    Other(String),
}

impl Value {
    fn read(script: &Script, node: Node) -> Value {
        let text = script.text(node);
        match node.kind() {
            "verbatim_string_characters" => Value::Str(text.trim_matches('\'').replace("''", "'")),
            "expandable_string_literal" => Value::Str(text.trim_matches('"').to_string()),
            "variable" => match text.to_ascii_lowercase().as_str() {
                "$true" => Value::Bool(true),
                "$false" => Value::Bool(false),
                "$null" => Value::Null,
                _ => Value::Other(text.to_string()),
            },
            "hash_literal_expression" => {
                let mut entries = Vec::new();
                for body in named_children(node).into_iter().filter(|c| c.kind() == "hash_literal_body") {
                    for entry in named_children(body).into_iter().filter(|c| c.kind() == "hash_entry") {
                        let parts = named_children(entry);
                        let key = script.text(parts[0]).trim_matches(|c| c == '\'' || c == '"').to_string();
                        entries.push((key, Value::read(script, parts[parts.len() - 1])));
                    }
                }
                Value::Map(entries)
            }
            "array_literal_expression" if node.named_child_count() > 1 => {
                Value::List(named_children(node).into_iter().map(|c| Value::read(script, c)).collect())
            }
            "array_expression" => {
                let mut items = Vec::new();
                for statements in named_children(node) {
                    let statements = if statements.kind() == "statement_list" {
                        named_children(statements)
                    } else {
                        vec![statements]
                    };
                    for statement in statements {
                        match Value::read(script, statement) {
                            Value::List(list) => items.extend(list),
                            item => items.push(item),
                        }
                    }
                }
                Value::List(items)
            }
            // `[ordered]@{…}`, `[Uri] '…'`: the value is the cast operand.
            "cast_expression" => Value::read(script, named_children(node).pop().expect("operand")),
            _ if node.named_child_count() == 1 => Value::read(script, node.named_child(0).expect("one child")),
            _ => Value::Other(text.to_string()),
        }
    }

    fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v),
            _ => None,
        }
    }

    fn str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A string or a list of strings (a one-item `@('x')` reads as the item itself).
    fn strings(&self) -> Vec<String> {
        match self {
            Value::Str(s) => vec![s.clone()],
            Value::List(items) => items.iter().flat_map(Value::strings).collect(),
            _ => Vec::new(),
        }
    }

    fn entries(&self) -> &[(String, Value)] {
        match self {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }
}

/// An attribute such as `[Parameter(Mandatory = $true, ParameterSetName = 'X')]`.
#[derive(Debug)]
struct Attribute {
    name: String,
    named: BTreeMap<String, Value>,
    positional: Vec<Value>,
}

impl Attribute {
    fn read(script: &Script, node: Node) -> Attribute {
        let mut attribute = Attribute { name: String::new(), named: BTreeMap::new(), positional: Vec::new() };
        for child in named_children(node) {
            match child.kind() {
                "attribute_name" | "type_identifier" | "type_spec" | "type_name" => {
                    attribute.name = script.text(child).to_string()
                }
                "attribute_arguments" => {
                    for argument in named_children(child) {
                        match argument.kind() {
                            // `Name = value`
                            "attribute_argument" if children(argument).iter().any(|c| c.kind() == "=") => {
                                let parts = named_children(argument);
                                let value = Value::read(script, parts[parts.len() - 1]);
                                attribute.named.insert(script.text(parts[0]).to_ascii_lowercase(), value);
                            }
                            // `[Parameter(Mandatory)]`
                            _ if script.text(argument).chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                                attribute.named.insert(script.text(argument).to_ascii_lowercase(), Value::Bool(true));
                            }
                            _ => attribute.positional.push(Value::read(script, argument)),
                        }
                    }
                }
                _ => {}
            }
        }
        attribute
    }

    fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    fn flag(&self, name: &str) -> bool {
        self.named.get(&name.to_ascii_lowercase()) == Some(&Value::Bool(true))
    }

    fn string(&self, name: &str) -> Option<String> {
        self.named.get(&name.to_ascii_lowercase()).and_then(|v| v.str().map(str::to_string))
    }
}

/// Every parameter set of a function without named sets.
const ALL_SETS: &str = "__AllParameterSets";

/// A parameter of a function's param block.
#[derive(Debug)]
struct Param {
    name: String,
    type_name: String,
    attributes: Vec<Attribute>,
}

impl Param {
    /// (set, mandatory, from the pipeline by property name) for each [Parameter] attribute.
    fn memberships(&self) -> Vec<(String, bool, bool)> {
        let declared: Vec<_> = self
            .attributes
            .iter()
            .filter(|a| a.is("Parameter"))
            .map(|a| {
                let set = a.string("ParameterSetName").unwrap_or_else(|| ALL_SETS.to_string());
                (set, a.flag("Mandatory"), a.flag("ValueFromPipelineByPropertyName"))
            })
            .collect();
        if declared.is_empty() { vec![(ALL_SETS.to_string(), false, false)] } else { declared }
    }

    fn membership(&self, set: &str) -> Option<(bool, bool)> {
        let memberships = self.memberships();
        memberships
            .iter()
            .find(|(s, _, _)| s == set)
            .or_else(|| memberships.iter().find(|(s, _, _)| s == ALL_SETS))
            .map(|&(_, mandatory, pipeline)| (mandatory, pipeline))
    }

    fn validate_set(&self) -> Option<Vec<String>> {
        self.attributes
            .iter()
            .find(|a| a.is("ValidateSet"))
            .map(|a| a.positional.iter().flat_map(Value::strings).collect())
    }
}

/// A function of a PowerShell file: its name, help, [CmdletBinding()] and parameters.
#[derive(Debug)]
struct Function {
    name: String,
    at: String,
    help: String,
    binding: Option<Attribute>,
    params: Vec<Param>,
}

impl Function {
    fn read(script: &Script, node: Node) -> Function {
        let mut function = Function {
            name: String::new(),
            at: script.at(node),
            help: String::new(),
            binding: None,
            params: Vec::new(),
        };
        for child in named_children(node) {
            match child.kind() {
                "function_name" => function.name = script.text(child).to_string(),
                "comment" if function.help.is_empty() && script.text(child).starts_with("<#") => {
                    function.help = script.text(child).to_string()
                }
                "script_block" => {
                    for block in named_children(child).into_iter().filter(|c| c.kind() == "param_block") {
                        function.read_param_block(script, block);
                    }
                }
                _ => {}
            }
        }
        function
    }

    fn read_param_block(&mut self, script: &Script, block: Node) {
        for child in named_children(block) {
            match child.kind() {
                "attribute_list" | "attribute" => {
                    for attribute in attributes(child) {
                        let attribute = Attribute::read(script, attribute);
                        if attribute.is("CmdletBinding") {
                            self.binding = Some(attribute);
                        }
                    }
                }
                "parameter_list" => {
                    for parameter in named_children(child).into_iter().filter(|c| c.kind() == "script_parameter") {
                        let mut param = Param { name: String::new(), type_name: String::new(), attributes: Vec::new() };
                        for part in named_children(parameter) {
                            match part.kind() {
                                "variable" => param.name = script.text(part).trim_start_matches('$').to_string(),
                                "type_literal" => param.type_name = script.text(part).to_string(),
                                "attribute_list" | "attribute" => {
                                    for attribute in attributes(part) {
                                        // The type constraint on a line of its own reads as an
                                        // attribute holding a type literal.
                                        match named_children(attribute).as_slice() {
                                            [only] if only.kind() == "type_literal" => {
                                                param.type_name = script.text(*only).to_string()
                                            }
                                            _ => param.attributes.push(Attribute::read(script, attribute)),
                                        }
                                    }
                                }
                                _ => {}
                            }
                        }
                        self.params.push(param);
                    }
                }
                _ => {}
            }
        }
    }

    fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    fn binding_flag(&self, name: &str) -> bool {
        self.binding.as_ref().is_some_and(|b| b.flag(name))
    }

    fn binding_string(&self, name: &str) -> Option<String> {
        self.binding.as_ref().and_then(|b| b.string(name))
    }

    /// The parameter set names, or the one implicit set.
    fn sets(&self) -> BTreeSet<String> {
        let sets: BTreeSet<String> =
            self.params.iter().flat_map(Param::memberships).map(|(set, _, _)| set).filter(|s| s != ALL_SETS).collect();
        if sets.is_empty() { BTreeSet::from([ALL_SETS.to_string()]) } else { sets }
    }

    /// A set as `Name` for a mandatory parameter and `Name?` for an optional one.
    fn describe_set(&self, set: &str) -> Vec<String> {
        self.params
            .iter()
            .filter_map(|p| {
                p.membership(set).map(|(mandatory, _)| if mandatory { p.name.clone() } else { format!("{}?", p.name) })
            })
            .collect()
    }
}

fn attributes(node: Node) -> Vec<Node> {
    if node.kind() == "attribute" {
        vec![node]
    } else {
        named_children(node).into_iter().filter(|c| c.kind() == "attribute").collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The module as the tests see it

fn psm1() -> Script {
    Script::load(&module_dir().join("CommercePolicy.psm1"))
}

fn manifest() -> Value {
    let script = Script::load(&module_dir().join("CommercePolicy.psd1"));
    let root = script.tree.root_node();
    let hash = script
        .nodes()
        .into_iter()
        .find(|n| n.kind() == "hash_literal_expression")
        .unwrap_or_else(|| panic!("{}: the manifest is not a hashtable", script.at(root)));
    Value::read(&script, hash)
}

fn public_functions() -> Vec<Function> {
    psm1().functions()
}

fn command_table() -> Value {
    psm1().assignment("$script:CommandTable").expect("CommercePolicy.psm1 assigns $script:CommandTable")
}

/// Common parameters that PowerShell adds to every advanced function.
const COMMON_PARAMETERS: &[&str] = &[
    "Verbose",
    "Debug",
    "ErrorAction",
    "WarningAction",
    "InformationAction",
    "ProgressAction",
    "ErrorVariable",
    "WarningVariable",
    "InformationVariable",
    "OutVariable",
    "OutBuffer",
    "PipelineVariable",
];

/// Cmdlet parameters that are accepted and deliberately given to nothing: cmdlet, parameter, why.
const UNMAPPED_ALLOWED: &[(&str, &str, &str)] = &[
    (
        "Connect-MSCommerce",
        "RedirectUri",
        "MSCommerce's interactive browser sign-in; the binary signs a person in with a device code instead",
    ),
    (
        "Connect-MSCommerce",
        "CertificateThumbprint",
        "the binary cannot read the Windows certificate store yet: the cmdlet stops with an error that says \
         to export the certificate to a PFX and use -CertificatePath",
    ),
    ("Connect-MSCommerce", "PassThru", "the cmdlet writes the connection object itself"),
];

/// Whether a parameter's type is a SecureString.
fn is_secure_string(param: &Param) -> bool {
    let name = param.type_name.trim_matches(|c| c == '[' || c == ']').to_ascii_lowercase();
    name == "securestring" || name == "system.security.securestring"
}

/// The text of one flag in the `--help` of a subcommand: its line and the lines it wraps onto.
fn flag_help(command: &[String], flag: &str) -> String {
    let output = Command::new(binary()).args(command).arg("--help").output().expect("run --help");
    assert!(output.status.success(), "{} --help failed", command.join(" "));
    let help = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut text = String::new();
    let mut inside = false;
    for line in help.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('-') {
            // `--flag <VALUE>  help`, or `-o, --output <OUTPUT>  help`.
            inside = trimmed.split([' ', ',']).any(|word| word == flag);
        }
        if inside {
            text.push_str(trimmed);
            text.push(' ');
        }
    }
    text
}

fn invoker() -> Script {
    Script::load(&module_dir().join("Private").join("Invoke-CommercePolicyCommand.ps1"))
}

// ---------------------------------------------------------------------------------------------
// (1) Every PowerShell file parses, and stays within what Windows PowerShell 5.1 runs

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
// (2) The manifest

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

// ---------------------------------------------------------------------------------------------
// (3) Every parameter maps onto a flag the binary really accepts

fn binary_arg<'a>(node: &'a Json, flag: &str) -> Option<&'a Json> {
    let long = flag.strip_prefix("--")?;
    node["args"].as_array()?.iter().find(|a| a["long"].as_str() == Some(long))
}

#[test]
fn every_cmdlet_parameter_maps_onto_a_flag_the_binary_accepts() {
    let table = command_table();
    let functions = public_functions();
    let mut problems = Vec::new();

    let names: BTreeSet<&str> = functions.iter().map(|f| f.name.as_str()).collect();
    let entries: BTreeSet<&str> = table.entries().iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(entries, names, "the command table's cmdlets (left) differ from the public functions (right)");

    for function in &functions {
        let entry = table.get(&function.name).expect("entry");
        let command = entry.get("Command").map(Value::strings).unwrap_or_default();
        let mappings = entry.get("Parameters").map(|p| p.entries().to_vec()).unwrap_or_default();

        let params: BTreeSet<String> = function.params.iter().map(|p| p.name.clone()).collect();
        let mut mapped: BTreeSet<String> = mappings.iter().map(|(k, _)| k.clone()).collect();
        if function.binding_flag("SupportsShouldProcess") {
            // -WhatIf is a common parameter of SupportsShouldProcess cmdlets, not in the param block.
            mapped.remove("WhatIf");
        }
        if params != mapped {
            problems.push(format!("{}: parameters {params:?} but the command table maps {mapped:?}", function.name));
        }
        if command.is_empty() {
            if !mappings.is_empty() {
                problems.push(format!("{}: maps parameters but names no subcommand", function.name));
            }
            continue;
        }
        let Some(node) = subcommand(&command) else {
            problems.push(format!("{}: the binary has no subcommand `{}`", function.name, command.join(" ")));
            continue;
        };

        for (param, mapping) in &mappings {
            let at = format!("{} -{param} (`{}`)", function.name, command.join(" "));
            let declared = function.param(param);
            let secure = declared.is_some_and(is_secure_string);
            if let Some(reason) = mapping.get("Unmapped") {
                if !UNMAPPED_ALLOWED.iter().any(|(c, p, _)| *c == function.name && p == param) {
                    problems.push(format!(
                        "{at}: maps to nothing ({reason:?}), and is not one of the allowed compatibility parameters"
                    ));
                }
                continue;
            }
            if param.ends_with("Path") && mapping.get("Path") != Some(&Value::Bool(true)) {
                problems
                    .push(format!("{at}: a file path must be resolved against the PowerShell location (Path = $true)"));
            }
            if secure && (mapping.get("Positional").is_some() || mapping.get("Stdin").is_some()) {
                problems.push(format!("{at}: a [SecureString] must map to Env or SecretStdin"));
            }
            if let Some(id) = mapping.get("Positional").and_then(Value::str) {
                let positional =
                    node["args"].as_array().into_iter().flatten().any(|a| a["positional"] == true && a["id"] == id);
                if !positional {
                    problems.push(format!("{at}: the binary has no positional argument `{id}`"));
                }
                continue;
            }
            let Some(flag) = mapping.get("Flag").and_then(Value::str) else {
                problems.push(format!("{at}: no Flag, Positional or Unmapped"));
                continue;
            };
            let Some(arg) = binary_arg(node, flag) else {
                problems.push(format!("{at}: the binary does not accept {flag}"));
                continue;
            };
            let is = |key: &str| mapping.get(key) == Some(&Value::Bool(true));
            let env = mapping.get("Env").and_then(Value::str);
            // A secret on stdin goes with a switch of the binary: the flag alone, the value on stdin.
            let switch = is("Switch") || is("SecretStdin");
            if env.is_none() && arg["takesValue"] != !switch {
                problems.push(format!(
                    "{at}: {flag} takesValue is {}, the table says Switch = {switch}",
                    arg["takesValue"]
                ));
            }
            if let Some(env) = env {
                // The flag's own variable, or one its help says goes with it (a PFX password).
                let real = arg["env"].as_str();
                if real != Some(env) && !flag_help(&command, flag).contains(env) {
                    problems.push(format!(
                        "{at}: the module passes {env}, but the binary reads {flag} from {real:?} and its help does not name {env}"
                    ));
                }
            }
            if is("SecretStdin") {
                if !secure {
                    problems.push(format!("{at}: a secret on stdin must come from a [SecureString] parameter"));
                }
                if !flag_help(&command, flag).contains("stdin") {
                    problems.push(format!("{at}: the help of {flag} does not say that it reads stdin"));
                }
            }
            if is("Interactive") && !is("Switch") {
                problems.push(format!(
                    "{at}: Interactive goes with a switch (the flag that makes the binary talk to a person)"
                ));
            }
            // A SecureString never becomes an argument: only an environment variable of the
            // child, or standard input.
            if secure && env.is_none() && !is("SecretStdin") {
                problems
                    .push(format!("{at}: a [SecureString] must map to Env or SecretStdin, never onto {flag} itself"));
            }
        }
    }
    // And the allowed list holds no parameter that is mapped by now, or gone.
    for (cmdlet, param, why) in UNMAPPED_ALLOWED {
        let mapping = table.get(cmdlet).and_then(|e| e.get("Parameters")).and_then(|p| p.get(param));
        if mapping.and_then(|m| m.get("Unmapped")).is_none() {
            problems.push(format!(
                "{cmdlet} -{param} is allowed to map to nothing ({why}), but the table maps it or lacks it"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_key_of_the_command_table_is_one_the_invoker_reads() {
    // A misspelt key (`Swich`, `Keepfailed`) would be ignored by PowerShell without a word.
    let source = invoker().source;
    let read = |variable: &str, key: &str| source.contains(&format!("${variable}.{key}"));
    let mut problems = Vec::new();
    for (cmdlet, entry) in command_table().entries() {
        for (key, _) in entry.entries() {
            if !read("entry", key) {
                problems.push(format!("{cmdlet}: key {key} is not read as $entry.{key} by the invoker"));
            }
        }
        for (param, mapping) in entry.get("Parameters").map(Value::entries).unwrap_or_default() {
            for (key, _) in mapping.entries() {
                if !read("mapping", key) {
                    problems.push(format!("{cmdlet} -{param}: key {key} is not read as $mapping.{key} by the invoker"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_session_keeps_only_an_endpoint_and_a_token_that_every_subcommand_accepts() {
    // $script:Session is applied to every cmdlet through $script:SessionParameters: nothing of a
    // sign-in (tenant, client, secret, certificate) may ever reach another subcommand.
    let map = psm1().assignment("$script:SessionParameters").expect("$script:SessionParameters");
    let names: BTreeSet<&str> = map.entries().iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, BTreeSet::from(["AccessToken", "Endpoint"]), "what the session may keep");
    let connect =
        command_table().get("Connect-MSCommerce").and_then(|e| e.get("Parameters")).cloned().expect("Connect");
    for (name, mapping) in map.entries() {
        assert_eq!(connect.get(name), Some(mapping), "the session maps -{name} as Connect-MSCommerce does");
        let flag = mapping.get("Flag").and_then(Value::str).expect("Flag");
        let arg = binary_arg(command_tree(), flag).unwrap_or_else(|| panic!("{flag} is not a global flag"));
        assert_eq!(arg["global"], true, "{flag} must reach every subcommand");
        if let Some(env) = mapping.get("Env").and_then(Value::str) {
            assert_eq!(arg["env"].as_str(), Some(env), "{flag}");
        }
    }
    // The invoker maps the session with that table, not with Connect-MSCommerce's entry.
    let invoker = invoker().source;
    assert!(invoker.contains("Map = $script:SessionParameters; Settings = $script:Session"), "the session's map");
    assert!(!invoker.contains("$script:CommandTable['Connect-MSCommerce']"), "the session must not use Connect's map");
}

#[test]
fn device_code_shows_its_instruction_while_the_binary_waits() {
    // The binary writes "To sign in, open URL and enter the code CODE" on stderr and then waits:
    // that call must leave stderr to the console, and the default set must ask for device code.
    let table = command_table();
    let connect = table.get("Connect-MSCommerce").and_then(|e| e.get("Parameters")).expect("Connect-MSCommerce");
    let interactive: Vec<&str> = connect
        .entries()
        .iter()
        .filter(|(_, m)| m.get("Interactive") == Some(&Value::Bool(true)))
        .filter_map(|(_, m)| m.get("Flag").and_then(Value::str))
        .collect();
    assert_eq!(interactive, ["--device-code"]);
    assert!(psm1().source.contains("$parameters.DeviceCode = $true"), "the DeviceCode set passes --device-code");
    let invoker = invoker().source;
    assert!(invoker.contains("$startInfo.RedirectStandardError = -not $Interactive"), "stderr left to the console");
    assert!(invoker.contains("Interactive  = $call.Interactive"), "the call's Interactive reaches the process");
}

#[test]
fn every_environment_of_connect_mscommerce_is_one_the_binary_accepts() {
    let functions = public_functions();
    let connect = functions.iter().find(|f| f.name == "Connect-MSCommerce").expect("Connect-MSCommerce");
    let values = connect.param("Environment").and_then(Param::validate_set).expect("-Environment has a ValidateSet");
    for canonical in ["worldwide", "usgov-high", "usgov-dod", "china"] {
        assert!(values.iter().any(|v| v == canonical), "-Environment lacks {canonical}: {values:?}");
    }
    for value in &values {
        let sandbox = Sandbox::new();
        // -AccessToken: no network; the binary resolves the cloud and prints its name.
        let run = sandbox.run(&["connect", "--environment", value, "--access-token", "t", "--output", "json"]);
        run.assert_ok();
        let cloud = run.json()["Environment"].as_str().map(str::to_string).unwrap_or_default();
        assert!(["worldwide", "usgov-high", "usgov-dod", "china"].contains(&cloud.as_str()), "{value}: {run:?}");
        if ["worldwide", "usgov-high", "usgov-dod", "china"].contains(&value.as_str()) {
            assert_eq!(&cloud, value);
        }
    }
}

#[test]
fn connect_reads_the_client_secret_that_the_module_writes_on_stdin() {
    // Connect-MSCommerce -ClientSecret: the switch, and the secret on stdin with the line break
    // of StreamWriter.WriteLine (CRLF on Windows). The authority is unreachable: a secret that
    // was read gets as far as signing in (exit 7); an unread one would be a usage error (2).
    let secret = "TESTONLY-module-secret-4fJ9";
    let sandbox = Sandbox::new();
    let args = [
        "connect",
        "--tenant-id",
        "contoso.onmicrosoft.com",
        "--client-id",
        "7d3c1f0a-2b4e-4c6d-8e9f-0a1b2c3d4e01",
        "--client-secret",
        "--authority",
        "http://127.0.0.1:9",
        "--max-retries",
        "0",
        "--output",
        "json",
    ];
    for line_break in ["\n", "\r\n"] {
        let run = sandbox.run_with_stdin(&args, &format!("{secret}{line_break}"));
        assert_eq!(run.code, 7, "{run:?}");
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "the secret leaked: {run:?}");
    }
    let unread = sandbox.run_with_stdin(&args, "");
    unread.assert_fails_with(2);
    assert_eq!(category_of_exit_code(7).as_deref(), Some("ConnectionError"));
    assert_eq!(category_of_exit_code(3).as_deref(), Some("AuthenticationError"));
}

#[test]
fn every_parameter_set_satisfies_the_subcommands_required_arguments() {
    let table = command_table();
    let mut problems = Vec::new();
    for function in public_functions() {
        let entry = table.get(&function.name).expect("entry");
        let command = entry.get("Command").map(Value::strings).unwrap_or_default();
        let Some(node) = (!command.is_empty()).then(|| subcommand(&command)).flatten() else { continue };
        let mappings = entry.get("Parameters").expect("Parameters");

        // The binary's argument id that a parameter reaches.
        let arg_id = |param: &str| -> Option<String> {
            let mapping = mappings.get(param)?;
            if let Some(id) = mapping.get("Positional").and_then(Value::str) {
                return Some(id.to_string());
            }
            Some(binary_arg(node, mapping.get("Flag")?.str()?)?["id"].as_str()?.to_string())
        };
        for set in function.sets() {
            let given: BTreeSet<String> = function
                .params
                .iter()
                .filter(|p| p.membership(&set).is_some_and(|(mandatory, _)| mandatory))
                .filter_map(|p| arg_id(&p.name))
                .collect();
            for arg in node["args"].as_array().into_iter().flatten().filter(|a| a["required"] == true) {
                let id = arg["id"].as_str().unwrap_or_default().to_string();
                if !given.contains(&id) {
                    problems
                        .push(format!("{} [{set}]: no mandatory parameter gives the required `{id}`", function.name));
                }
            }
            for group in node["groups"].as_array().into_iter().flatten().filter(|g| g["required"] == true) {
                let ids: Vec<String> = group["args"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str().map(str::to_string))
                    .collect();
                if !ids.iter().any(|id| given.contains(id)) {
                    problems.push(format!("{} [{set}]: no mandatory parameter gives one of {ids:?}", function.name));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_flag_the_module_writes_is_one_the_binary_accepts() {
    let mut longs = BTreeSet::new();
    fn walk(node: &Json, longs: &mut BTreeSet<String>) {
        for arg in node["args"].as_array().into_iter().flatten() {
            if let Some(long) = arg["long"].as_str() {
                longs.insert(format!("--{long}"));
            }
        }
        for sub in node["subcommands"].as_array().into_iter().flatten() {
            walk(sub, longs);
        }
    }
    walk(command_tree(), &mut longs);

    let mut problems = Vec::new();
    let mut seen = 0;
    for file in powershell_files().into_iter().filter(|f| f.starts_with(module_dir())) {
        let script = Script::load(&file);
        for node in script.nodes().into_iter().filter(|n| n.kind() == "verbatim_string_characters") {
            let Value::Str(text) = Value::read(&script, node) else { continue };
            if text.starts_with("--") && text.len() > 2 {
                seen += 1;
                if !longs.contains(&text) {
                    problems.push(format!("{}: `{text}` is not a flag of commerce-policy", script.at(node)));
                }
            }
        }
    }
    assert!(seen >= 8, "expected the module's flags, found {seen}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let flags = psm1().assignment("$script:InvariantFlags").expect("$script:InvariantFlags");
    let output = flags.get("Output").map(Value::strings).unwrap_or_default();
    let global = binary_arg(command_tree(), &output[0]).expect("--output is a global flag");
    assert!(
        global["possibleValues"].as_array().is_some_and(|v| v.contains(&Json::from(output[1].as_str()))),
        "{output:?}"
    );
}

#[test]
fn every_policy_product_and_offer_type_parameter_has_tab_completion() {
    let script = psm1();
    let functions = public_functions();
    // (cmdlet, parameter) pairs that a Register-ArgumentCompleter covers.
    let mut completed = BTreeSet::new();
    for node in script.nodes().into_iter().filter(|n| n.kind() == "command") {
        let Some((command, parameters)) = command_parameters(&script, node) else { continue };
        if !command.eq_ignore_ascii_case("Register-ArgumentCompleter") {
            continue;
        }
        let argument = |name: &str| {
            let (_, value) = parameters.iter().find(|(p, _)| p.eq_ignore_ascii_case(name))?;
            Some(Value::read(&script, (*value)?).strings())
        };
        let cmdlets = argument("CommandName").unwrap_or_default();
        let parameter = argument("ParameterName").unwrap_or_default().concat();
        for cmdlet in cmdlets {
            let has = functions.iter().find(|f| f.name == cmdlet).is_some_and(|f| f.param(&parameter).is_some());
            assert!(has, "{}: completes -{parameter} of {cmdlet}, which has no such parameter", script.at(node));
            completed.insert((cmdlet, parameter.clone()));
        }
    }
    for function in &functions {
        for param in ["PolicyId", "ProductId", "OfferType"] {
            if function.param(param).is_some() {
                assert!(
                    completed.contains(&(function.name.clone(), param.to_string())),
                    "-{param} of {} has no completer",
                    function.name
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (4) MSCommerce 2.x's parameter sets, and those of the baseline cmdlets

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
    // $true and $false bind to a [string] -Enabled as 'True' and 'False'.
    let enabled = update.param("Enabled").expect("-Enabled");
    assert_eq!(enabled.type_name.to_ascii_lowercase(), "[string]");
    assert_eq!(enabled.validate_set(), Some(vec!["True".to_string(), "False".to_string()]));
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
// (5) MSCommerce's documented usage binds unchanged

/// A cmdlet call found in a script: its named parameters and their arguments.
struct Call {
    cmdlet: String,
    at: String,
    piped: bool,
    parameters: Vec<(String, Option<String>)>,
}

/// A command's named parameters, each with the element after it unless that is another
/// parameter: `-Name value`, `-Name:value`, or a switch `-Name`.
type Parameters<'t> = Vec<(String, Option<Node<'t>>)>;

/// A command's name and its named parameters.
fn command_parameters<'t>(script: &Script, node: Node<'t>) -> Option<(String, Parameters<'t>)> {
    let parts = named_children(node);
    let name = parts.iter().find(|c| c.kind() == "command_name")?;
    let elements: Vec<Node> = parts
        .iter()
        .filter(|c| c.kind() == "command_elements")
        .flat_map(|c| named_children(*c))
        .filter(|c| c.kind() != "command_argument_sep")
        .collect();
    let parameters = elements
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind() == "command_parameter")
        .map(|(i, e)| {
            let argument = elements.get(i + 1).filter(|next| next.kind() != "command_parameter").copied();
            (script.text(*e).trim_start_matches('-').trim_end_matches(':').to_string(), argument)
        })
        .collect();
    Some((script.text(*name).to_string(), parameters))
}

fn calls(script: &Script, cmdlets: &BTreeSet<String>) -> Vec<Call> {
    let mut calls = Vec::new();
    for node in script.nodes().into_iter().filter(|n| n.kind() == "command") {
        let Some((cmdlet, parameters)) = command_parameters(script, node) else { continue };
        if !cmdlets.iter().any(|c| c.eq_ignore_ascii_case(&cmdlet)) {
            continue;
        }
        let piped = node.prev_sibling().is_some_and(|p| script.text(p) == "|");
        let parameters = parameters
            .into_iter()
            .map(|(name, argument)| {
                let argument = argument.map(|next| match Value::read(script, next) {
                    Value::Str(s) => s,
                    Value::Bool(b) => if b { "True" } else { "False" }.to_string(),
                    _ => script.text(next).to_string(),
                });
                (name, argument)
            })
            .collect();
        calls.push(Call { cmdlet, at: script.at(node), piped, parameters });
    }
    calls
}

/// The parameter set a call binds to, as PowerShell chooses it, or why it does not bind.
fn bind(function: &Function, call: &Call) -> Result<String, String> {
    let mut given = Vec::new();
    for (name, argument) in &call.parameters {
        if COMMON_PARAMETERS.iter().chain(["WhatIf", "Confirm"].iter()).any(|c| c.eq_ignore_ascii_case(name)) {
            continue;
        }
        // PowerShell takes an exact name, else an unambiguous prefix.
        let exact = function.param(name);
        let prefixed: Vec<&Param> = function
            .params
            .iter()
            .filter(|p| p.name.to_ascii_lowercase().starts_with(&name.to_ascii_lowercase()))
            .collect();
        let param = match (exact, prefixed.as_slice()) {
            (Some(p), _) => p,
            (None, [p]) => *p,
            (None, []) => return Err(format!("no parameter -{name}")),
            (None, _) => return Err(format!("-{name} is ambiguous")),
        };
        if let (Some(values), Some(argument)) = (param.validate_set(), argument)
            && !argument.starts_with('$')
            && !values.iter().any(|v| v.eq_ignore_ascii_case(argument))
        {
            return Err(format!("-{} {argument}: not one of {values:?}", param.name));
        }
        if argument.is_none() && !param.type_name.eq_ignore_ascii_case("[switch]") {
            return Err(format!("-{} has no argument", param.name));
        }
        given.push(param);
    }
    let candidates: Vec<String> = function
        .sets()
        .into_iter()
        .filter(|set| given.iter().all(|p| p.membership(set).is_some()))
        .filter(|set| {
            function.params.iter().all(|p| match p.membership(set) {
                Some((true, pipeline)) => given.iter().any(|g| g.name == p.name) || (call.piped && pipeline),
                _ => true,
            })
        })
        .collect();
    match candidates.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err("no parameter set has every mandatory parameter".to_string()),
        many => match function.binding_string("DefaultParameterSetName") {
            Some(default) if many.contains(&default) => Ok(default),
            _ => Err(format!("ambiguous between {many:?}")),
        },
    }
}

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
        ("Get-MSCommercePolicies", &[ALL_SETS]),
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
        // What MSCommerce never had: products piped straight in.
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
    ] {
        let script = Script::parse("usage", usage.to_string());
        let call = calls(&script, &cmdlets).into_iter().next().expect("a call");
        let function = functions.iter().find(|f| f.name == call.cmdlet).expect("cmdlet");
        assert!(bind(function, &call).is_err(), "`{usage}` binds to {:?}", bind(function, &call));
    }
}

// ---------------------------------------------------------------------------------------------
// The objects and the formats

/// A baseline that differs from the seeded store: many products start out enabled.
const DISABLE_ALL: &str = r#"{"policyId": "AllowSelfServicePurchase", "default": "Disabled"}"#;

/// The views of CommercePolicy.Format.ps1xml: type name and the properties its columns show.
fn format_views() -> BTreeMap<String, Vec<String>> {
    let xml = std::fs::read_to_string(module_dir().join("CommercePolicy.Format.ps1xml")).expect("Format.ps1xml");
    let document = roxmltree::Document::parse(&xml).expect("CommercePolicy.Format.ps1xml is XML");
    let texts = |view: roxmltree::Node, tag: &str| -> Vec<String> {
        view.descendants()
            .filter(|n| n.has_tag_name(tag))
            .filter_map(|n| n.text())
            .map(|t| t.trim().to_string())
            .collect()
    };
    document
        .descendants()
        .filter(|n| n.has_tag_name("View"))
        .map(|view| (texts(view, "TypeName").concat(), texts(view, "PropertyName")))
        .collect()
}

#[test]
fn every_type_name_has_a_view_whose_columns_the_binary_prints() {
    // A call of the binary, made as the module makes it, that prints objects of each type.
    let samples: &[(&str, &[&str], &str)] = &[
        ("CommercePolicy.Policy", &["policies", "list", "--output", "json"], ""),
        // Connect-MSCommerce -AccessToken: no network, the token is kept as it is.
        (
            "CommercePolicy.Connection",
            &["connect", "--access-token", "not-a-real-token", "--endpoint", "http://127.0.0.1:9", "--output", "json"],
            "",
        ),
        (
            "CommercePolicy.ProductPolicy",
            &["product-policies", "list", "--policy-id", "AllowSelfServicePurchase", "--output", "json"],
            "",
        ),
        (
            "CommercePolicy.ScopePolicy",
            &[
                "product-policies",
                "list",
                "--policy-id",
                "AllowSelfServicePurchase",
                "--scope",
                "OfferType",
                "--output",
                "json",
            ],
            "",
        ),
        (
            "CommercePolicy.ProductPolicyUpdate",
            &[
                "product-policies",
                "update",
                "--policy-id",
                "AllowSelfServicePurchase",
                "--value",
                "Disabled",
                "--product-id",
                "-",
                "--what-if",
                "--output",
                "json",
            ],
            "CFQ7TTC0H9MP\nCFQ7TTC0HD33\n",
        ),
        (
            "CommercePolicy.ScopePolicyUpdate",
            &[
                "product-policies",
                "update",
                "--policy-id",
                "AllowSelfServicePurchase",
                "--value",
                "Disabled",
                "--offer-type",
                "SaaS",
                "--what-if",
                "--output",
                "json",
            ],
            "",
        ),
        ("CommercePolicy.BaselineDrift", &["plan", "--file", "-", "--output", "json"], DISABLE_ALL),
        // Invoke-CommercePolicyBaseline's results are update results too.
        ("CommercePolicy.ProductPolicyUpdate", &["apply", "--file", "-", "--output", "json"], DISABLE_ALL),
    ];
    let views = format_views();
    let table = command_table();
    let mut type_names: BTreeSet<String> = BTreeSet::new();
    for (_, entry) in table.entries() {
        for key in ["TypeName", "ScopeTypeName"] {
            if let Some(name) = entry.get(key).and_then(Value::str).filter(|n| !n.is_empty()) {
                type_names.insert(name.to_string());
            }
        }
    }
    assert_eq!(type_names, samples.iter().map(|(t, _, _)| t.to_string()).collect(), "type names of the command table");

    for (type_name, args, stdin) in samples {
        let columns =
            views.get(*type_name).unwrap_or_else(|| panic!("no view for {type_name} in CommercePolicy.Format.ps1xml"));
        let run = Sandbox::new().run_with_stdin(args, stdin);
        run.assert_ok();
        let objects = run.json();
        assert_ne!(objects, Json::Array(Vec::new()), "`{}` printed no objects to check", args.join(" "));
        let first = objects.as_array().and_then(|a| a.first()).cloned().unwrap_or(objects);
        for column in columns {
            assert!(
                first.get(column).is_some(),
                "{type_name}: the view shows {column}, which `{}` does not print: {first}",
                args.join(" ")
            );
        }
    }
}

/// The call Update-MSCommerceProductPolicy makes for piped products: the wanted value (and
/// --what-if) in `flags`, the ids on standard input.
fn update_piped(flags: &[&str], ids: &str) -> Run {
    let mut args = vec!["product-policies", "update", "--policy-id", "AllowSelfServicePurchase"];
    args.extend_from_slice(flags);
    args.extend(["--product-id", "-", "--output", "json"]);
    Sandbox::new().run_with_stdin(&args, ids)
}

/// Each result's Status by its ProductId (the binary answers in the order products finish).
fn status_by_product(results: &[Json]) -> BTreeMap<&str, &str> {
    results.iter().map(|r| (r["ProductId"].as_str().unwrap_or(""), r["Status"].as_str().unwrap_or(""))).collect()
}

#[test]
fn update_through_stdin_answers_every_product_once_as_the_module_reads_it() {
    let run = update_piped(&["--enabled", "False"], "CFQ7TTC0H9MP\r\nCFQ7TTC0HD33\r\nCFQ7TTC0ZZZZ\r\n");
    // One unknown product makes the batch exit 5 (not found), with one line on stderr.
    run.assert_fails_with(5);
    let results = run.json();
    let results = results.as_array().expect("the batch prints every result as a JSON array");
    assert_eq!(
        status_by_product(results),
        BTreeMap::from([("CFQ7TTC0H9MP", "Updated"), ("CFQ7TTC0HD33", "Updated"), ("CFQ7TTC0ZZZZ", "Failed")])
    );
    assert_eq!(results.len(), 3, "one result per product");
    let failed = results.iter().find(|r| r["Status"] == "Failed").expect("the failed result");
    assert_eq!(failed["ExitCode"], 5, "a failed result carries the exit code the module maps to a category");
    assert!(failed["Error"].as_str().is_some_and(|e| e.contains("correlation id")), "{failed}");
    assert!(run.stderr.starts_with("commerce-policy: "), "{run:?}");
}

// ---------------------------------------------------------------------------------------------
// (7) The answers of the binary that the module reads beyond its objects

/// The category the module gives a failure with this exit code (`$script:ExitCodeErrors`).
fn category_of_exit_code(code: u8) -> Option<String> {
    let codes = psm1().assignment("$script:ExitCodeErrors").expect("$script:ExitCodeErrors");
    codes.get(&code.to_string())?.get("Category")?.str().map(str::to_string)
}

#[test]
fn what_if_answers_a_value_the_service_would_refuse_with_a_failed_result() {
    // Update-MSCommerceProductPolicy -WhatIf makes this call; the invoker writes a result with an
    // ExitCode as an error record, and gives it no "What if:" line (-Preview).
    let run = update_piped(
        &["--value", "OnlyTrialsWithoutPaymentMethod", "--what-if"],
        // Power BI Pro offers no trial without a payment method; Visio Plan 1 does.
        "CFQ7TTC0H9MP\nCFQ7TTC0HD33\n",
    );
    run.assert_fails_with(2);
    let results = run.json();
    let results = results.as_array().expect("every result, as a JSON array");
    assert_eq!(
        status_by_product(results),
        BTreeMap::from([("CFQ7TTC0H9MP", "Failed"), ("CFQ7TTC0HD33", "WouldUpdate")])
    );
    let refused = results.iter().find(|r| r["Status"] == "Failed").expect("the refused result");
    assert_eq!(refused["ExitCode"], 2, "{refused}");
    assert!(refused["Error"].as_str().is_some_and(|e| e.starts_with("would be refused: ")), "{refused}");
    assert!(results.iter().filter(|r| r["Status"] != "Failed").all(|r| r["ExitCode"].is_null()));
    assert_eq!(category_of_exit_code(2).as_deref(), Some("InvalidArgument"));
}

#[test]
fn a_conflict_during_apply_is_a_result_with_the_conflict_exit_code() {
    // Invoke-CommercePolicyBaseline -PlanPath: a product changed since the plan was saved.
    let sandbox = Sandbox::new();
    let saved = sandbox.path("plan.json");
    let baseline =
        r#"{"policyId": "AllowSelfServicePurchase", "products": {"CFQ7TTC0HDB1": "OnlyTrialsWithoutPaymentMethod"}}"#;
    sandbox
        .run_with_stdin(&["plan", "--file", "-", "--out", saved.to_str().expect("UTF-8 path")], baseline)
        .assert_ok();
    sandbox
        .run(&[
            "product-policies",
            "update",
            "--policy-id",
            "AllowSelfServicePurchase",
            "--product-id",
            "CFQ7TTC0HDB1",
            "--value",
            "Disabled",
        ])
        .assert_ok();
    let run = sandbox.run(&["apply", "--plan", saved.to_str().expect("UTF-8 path"), "--output", "json"]);
    run.assert_fails_with(6);
    let results = run.json();
    let conflict = results.as_array().and_then(|r| r.first()).expect("the conflicting result");
    assert_eq!(conflict["Status"], "Conflict", "{conflict}");
    assert_eq!(conflict["ExitCode"], 6, "{conflict}");
    assert_eq!(category_of_exit_code(6).as_deref(), Some("ResourceBusy"));
}

#[test]
fn quiet_reads_the_drift_exit_code_of_plan() {
    // Test-CommercePolicyBaseline -Quiet: $false on exit 8, $true on exit 0, both with JSON.
    let table = command_table();
    let quiet = table.get("Test-CommercePolicyBaseline").and_then(|e| e.get("Parameters")).and_then(|p| p.get("Quiet"));
    assert_eq!(quiet.and_then(|q| q.get("Flag")).and_then(Value::str), Some("--detailed-exitcode"));
    let drift_code = psm1().assignment("$script:DriftExitCode").expect("$script:DriftExitCode");
    assert_eq!(drift_code, Value::Other("8".to_string()));

    let sandbox = Sandbox::new();
    let plan = ["plan", "--file", "-", "--detailed-exitcode", "--output", "json"];
    let drift = sandbox.run_with_stdin(&plan, DISABLE_ALL);
    drift.assert_fails_with(8);
    assert!(drift.json().as_array().is_some_and(|a| !a.is_empty()), "{drift:?}");

    sandbox.run_with_stdin(&["apply", "--file", "-", "--output", "json"], DISABLE_ALL).assert_ok();
    let matched = sandbox.run_with_stdin(&plan, DISABLE_ALL);
    matched.assert_ok();
    assert_eq!(matched.json(), Json::Array(Vec::new()));
}

#[test]
fn verbose_logs_every_request_with_the_fields_that_verbose_shows() {
    // ConvertTo-CommercePolicyVerboseMessage reads '<timestamp> <LEVEL> request name=value ...'.
    let fields = invoker().assignment("$script:RequestLogFields").expect("$script:RequestLogFields").strings();
    assert!(fields.contains(&"correlation_id".to_string()), "{fields:?}");
    let run = Sandbox::new().run(&[
        "product-policies",
        "get",
        "--policy-id",
        "AllowSelfServicePurchase",
        "--product-id",
        "CFQ7TTC0H9MP",
        "--output",
        "json",
        "--verbose",
    ]);
    run.assert_ok();
    let requests: Vec<&str> = run.stderr.lines().filter(|l| l.split_whitespace().nth(2) == Some("request")).collect();
    assert!(!requests.is_empty(), "no request line: {run:?}");
    for line in requests {
        let level = line.split_whitespace().nth(1).unwrap_or_default();
        assert!(["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&level), "{line}");
        let found: BTreeMap<&str, &str> = line
            .split_whitespace()
            .filter_map(|word| word.split_once('='))
            .map(|(name, value)| (name, value.trim_matches('"')))
            .collect();
        for field in &fields {
            assert!(found.contains_key(field.as_str()), "{line} has no {field}=");
        }
        assert_eq!(found["status"], "200", "{line}");
        assert_eq!(found["correlation_id"].len(), 36, "a UUID: {line}");
    }
}
