//! The PowerShell module (`module/CommercePolicy`) read the way PowerShell reads it, for tests
//! on machines where no PowerShell can run: its files parsed with a real PowerShell grammar
//! (tree-sitter-powershell), the literal values they assign, the functions with their attributes
//! and parameters, cmdlet calls bound to a parameter set as PowerShell binds them, and the
//! binary's own command tree (`describe-cli`) to hold them against.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value as Json;
pub use tree_sitter::Node;
use tree_sitter::{Parser, Tree};

use crate::binary;

mod binding;
mod function;
pub mod syntax;

pub use binding::{
    ADMIN_OUTPUT, COMMON_PARAMETERS, Call, Element, Parameters, bind, bind_positional, calls, cmdlets_of,
    command_parameters,
};
pub use function::{ALL_SETS, Function, Param, attributes};

// ---------------------------------------------------------------------------------------------
// Where things are

/// The repository's root folder (the parent of `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// The module's folder, `module/CommercePolicy`.
pub fn module_dir() -> PathBuf {
    repo_root().join("module").join("CommercePolicy")
}

/// Every PowerShell source file of the module and of the Pester suite.
pub fn powershell_files() -> Vec<PathBuf> {
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

// ---------------------------------------------------------------------------------------------
// The module's files as the tests see them

/// The root module, `CommercePolicy.psm1`: it loads the data, Private/ and Public/.
pub fn psm1() -> Script {
    Script::load(&module_dir().join("CommercePolicy.psm1"))
}

/// The PowerShell files of a folder of the module (`Public`, `Private`), sorted by name.
pub fn module_scripts(folder: &str) -> Vec<Script> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(module_dir().join(folder))
        .unwrap_or_else(|e| panic!("read module/CommercePolicy/{folder}: {e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("ps1"))
        .collect();
    paths.sort();
    paths.iter().map(|p| Script::load(p)).collect()
}

/// The module's data file, `CommercePolicy.Commands.psd1`, as the hashtable it is.
pub fn module_data() -> Value {
    data_file(&module_dir().join("CommercePolicy.Commands.psd1"))
}

/// The manifest, `CommercePolicy.psd1`, as the hashtable it is.
pub fn manifest() -> Value {
    data_file(&module_dir().join("CommercePolicy.psd1"))
}

/// A PowerShell data file (`.psd1`): the hashtable it holds.
fn data_file(path: &Path) -> Value {
    let script = Script::load(path);
    let root = script.tree.root_node();
    let hash = script
        .nodes()
        .into_iter()
        .find(|n| n.kind() == "hash_literal_expression")
        .unwrap_or_else(|| panic!("{}: the data file is not a hashtable", script.at(root)));
    Value::read(&script, hash)
}

/// The module's public functions: one per file of `Public/`, each file named after it (the
/// contract tests check that pairing, so a file left out is a cmdlet missing everywhere).
pub fn public_functions() -> Vec<Function> {
    module_scripts("Public").iter().flat_map(Script::functions).collect()
}

/// The command table (`Commands` of `CommercePolicy.Commands.psd1`): each cmdlet's subcommand
/// and its parameters mapped onto flags.
pub fn command_table() -> Value {
    module_data().get("Commands").cloned().expect("CommercePolicy.Commands.psd1 has Commands")
}

/// The invoker: every file of `Private/` in one script, for checks of what it reads and does
/// (it builds the call, runs the process and converts the output in files of their own).
pub fn invoker() -> Script {
    let source: Vec<String> = module_scripts("Private").into_iter().map(|s| s.source).collect();
    Script::parse("module/CommercePolicy/Private/*.ps1", source.join("\n"))
}

/// The category the module gives a failure with this exit code (`ExitCodes` of the data file).
pub fn category_of_exit_code(code: u8) -> Option<String> {
    exit_code_error(code)?.get("Category")?.str().map(str::to_string)
}

/// The error record kind (ErrorId, Category, Exception) of an exit code.
pub fn exit_code_error(code: u8) -> Option<Value> {
    module_data().get("ExitCodes")?.get(&code.to_string()).cloned()
}

// ---------------------------------------------------------------------------------------------
// The binary's command tree

/// The binary's command tree, as `commerce-policy describe-cli` prints it.
pub fn command_tree() -> &'static Json {
    static TREE: OnceLock<Json> = OnceLock::new();
    TREE.get_or_init(|| {
        let output = Command::new(binary()).arg("describe-cli").output().expect("run describe-cli");
        assert!(output.status.success(), "describe-cli failed: {}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).expect("describe-cli prints JSON")
    })
}

/// The node of a subcommand path in the command tree.
pub fn subcommand(path: &[String]) -> Option<&'static Json> {
    let mut node = command_tree();
    for part in path {
        node = node["subcommands"]
            .as_array()?
            .iter()
            .find(|s| s["path"].as_array().and_then(|p| p.last()) == Some(&Json::from(part.as_str())))?;
    }
    Some(node)
}

/// The argument of a command-tree node that a long flag (`--policy-id`) names.
pub fn binary_arg<'a>(node: &'a Json, flag: &str) -> Option<&'a Json> {
    let long = flag.strip_prefix("--")?;
    node["args"].as_array()?.iter().find(|a| a["long"].as_str() == Some(long))
}

// ---------------------------------------------------------------------------------------------
// Reading PowerShell with tree-sitter

/// A parsed PowerShell file.
pub struct Script {
    pub name: String,
    pub source: String,
    pub tree: Tree,
}

impl Script {
    /// Parses `source`; `name` says where it came from in messages.
    pub fn parse(name: &str, source: String) -> Script {
        let mut parser = Parser::new();
        parser.set_language(&tree_sitter_powershell::LANGUAGE.into()).expect("load the PowerShell grammar");
        let tree = parser.parse(&source, None).expect("tree-sitter returns a tree");
        Script { name: name.to_string(), source, tree }
    }

    /// Reads and parses a file, named by its path from the repository root.
    pub fn load(path: &Path) -> Script {
        let source = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let name = path.strip_prefix(repo_root()).unwrap_or(path).display().to_string();
        Script::parse(&name, source)
    }

    /// The source text of a node.
    pub fn text(&self, node: Node) -> &str {
        &self.source[node.byte_range()]
    }

    /// Where a node starts, as `file:line:column`.
    pub fn at(&self, node: Node) -> String {
        let p = node.start_position();
        format!("{}:{}:{}", self.name, p.row + 1, p.column + 1)
    }

    /// Every node, depth first.
    pub fn nodes(&self) -> Vec<Node<'_>> {
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
    pub fn syntax_errors(&self) -> Vec<String> {
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

    /// Every function the file defines.
    pub fn functions(&self) -> Vec<Function> {
        self.nodes().into_iter().filter(|n| n.kind() == "function_statement").map(|n| Function::read(self, n)).collect()
    }

    /// The value assigned to a variable at the top of the file, like `$script:CommandTable`.
    pub fn assignment(&self, variable: &str) -> Option<Value> {
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

/// A node's named children (no punctuation).
pub fn named_children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

/// A node's children, punctuation included.
pub fn children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.children(&mut cursor).collect()
}

/// A literal PowerShell value: what the manifest, the command table and attributes are made of.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Bool(bool),
    Null,
    List(Vec<Value>),
    Map(Vec<(String, Value)>),
    Other(String),
}

impl Value {
    /// The value of an expression node; what is not a literal reads as `Other` with its text.
    pub fn read(script: &Script, node: Node) -> Value {
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

    /// A hashtable's entry, by a key compared as PowerShell compares keys (ignoring case).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A string or a list of strings (a one-item `@('x')` reads as the item itself).
    pub fn strings(&self) -> Vec<String> {
        match self {
            Value::Str(s) => vec![s.clone()],
            Value::List(items) => items.iter().flat_map(Value::strings).collect(),
            _ => Vec::new(),
        }
    }

    /// A hashtable's entries in their order; none for anything else.
    pub fn entries(&self) -> &[(String, Value)] {
        match self {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }
}

/// An attribute such as `[Parameter(Mandatory = $true, ParameterSetName = 'X')]`.
#[derive(Debug)]
pub struct Attribute {
    pub name: String,
    pub named: BTreeMap<String, Value>,
    pub positional: Vec<Value>,
}

impl Attribute {
    /// Reads an `attribute` node.
    pub fn read(script: &Script, node: Node) -> Attribute {
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

    /// Whether this is the attribute `name` (ignoring case).
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// Whether a named argument is `$true`, or given alone (`[Parameter(Mandatory)]`).
    pub fn flag(&self, name: &str) -> bool {
        self.named.get(&name.to_ascii_lowercase()) == Some(&Value::Bool(true))
    }

    /// A named argument's string value.
    pub fn string(&self, name: &str) -> Option<String> {
        self.named.get(&name.to_ascii_lowercase()).and_then(|v| v.str().map(str::to_string))
    }
}

// ---------------------------------------------------------------------------------------------
// Parameter sets that run subcommands of their own

/// The subcommand a cmdlet's entry runs in a parameter set: its `SetCommands` entry for that
/// set, else its `Command`.
pub fn set_command(entry: &Value, set: &str) -> Vec<String> {
    entry
        .get("SetCommands")
        .and_then(|c| c.get(set))
        .or_else(|| entry.get("Command"))
        .map(Value::strings)
        .unwrap_or_default()
}

/// The parameter sets in which a mapping of the command table reaches the binary: those its
/// `Sets` names; else those of its parameter; else (a common parameter, an implied flag) every
/// set of the function.
pub fn mapping_sets(function: &Function, param: &str, mapping: &Value) -> Vec<String> {
    if let Some(sets) = mapping.get("Sets") {
        return sets.strings();
    }
    let all = function.sets();
    match function.param(param) {
        Some(declared) => all.into_iter().filter(|set| declared.membership(set).is_some()).collect(),
        None => all.into_iter().collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// What the binary says of a parameter's type and a flag

/// Whether a parameter's type is a SecureString.
pub fn is_secure_string(param: &Param) -> bool {
    let name = param.type_name.trim_matches(|c| c == '[' || c == ']').to_ascii_lowercase();
    name == "securestring" || name == "system.security.securestring"
}

/// The text of one flag in the `--help` of a subcommand: its line and the lines it wraps onto.
pub fn flag_help(command: &[String], flag: &str) -> String {
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
