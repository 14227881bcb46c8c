//! A guard against PowerShell-7-only syntax and commands in files that must also run on
//! Windows PowerShell 5.1. The grammar has nodes for some constructs (`&&`/`||` chains,
//! commands and their parameters, variables); the operators it does not know (ternary, `??`,
//! `??=`, `?.`, `?[]`, a trailing `&`) are found by scanning the code with comments and strings
//! blanked out, so that text about them is not taken for them.

use super::{Node, Script, command_parameters, named_children};

/// One PowerShell 7 construct found: where, and which.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub at: String,
    pub construct: &'static str,
}

/// Parameters that PowerShell 7 added to commands 5.1 also has: the commands (any when empty),
/// the parameter, and the construct's name.
const NEW_PARAMETERS: &[(&[&str], &str, &str)] = &[
    (&["ForEach-Object", "%", "foreach"], "Parallel", "ForEach-Object -Parallel"),
    (&["ConvertFrom-Json"], "AsHashtable", "ConvertFrom-Json -AsHashtable"),
    (&["ConvertFrom-Json"], "Depth", "ConvertFrom-Json -Depth"),
    (&["ConvertFrom-Json"], "NoEnumerate", "ConvertFrom-Json -NoEnumerate"),
    (&["ConvertTo-Json"], "AsArray", "ConvertTo-Json -AsArray"),
    (&["ConvertTo-Json"], "EscapeHandling", "ConvertTo-Json -EscapeHandling"),
    (&[], "SkipHttpErrorCheck", "-SkipHttpErrorCheck"),
    (&[], "StatusCodeVariable", "-StatusCodeVariable"),
    (&[], "ResponseHeadersVariable", "-ResponseHeadersVariable"),
    (&[], "SkipCertificateCheck", "-SkipCertificateCheck"),
    (&[], "AsByteStream", "-AsByteStream"),
];

/// Commands that Windows PowerShell 5.1 does not have.
const NEW_COMMANDS: &[&str] = &["Get-Error", "Join-String", "Test-Json", "ConvertFrom-Markdown", "Remove-Alias"];

/// Automatic variables that PowerShell 7 defines and 5.1 reads as $null.
const NEW_VARIABLES: &[&str] = &["$PSStyle", "$IsWindows", "$IsLinux", "$IsMacOS", "$IsCoreCLR"];

/// Types that .NET Framework (Windows PowerShell 5.1) lacks or does not load, as `[T]::new(`.
const NEW_TYPES: &[&str] = &[
    "System.Management.Automation.PSStyle",
    "System.Text.Json.",
    "System.Net.Http.",
    "System.Collections.Generic.PriorityQueue",
    "System.Range",
    "System.Index",
    "System.DateOnly",
    "System.TimeOnly",
    "System.Half",
    "System.Text.Rune",
    "System.IO.UnixFileMode",
    "System.Threading.PeriodicTimer",
];

/// Every PowerShell-7-only construct in a script.
pub fn powershell_7_only(script: &Script) -> Vec<Finding> {
    let mut findings = Vec::new();
    let nodes = script.nodes();
    for node in &nodes {
        let found = |construct| Finding { at: script.at(*node), construct };
        match node.kind() {
            "pipeline_chain_tail" => findings.push(found("&& / || pipeline chain")),
            "variable" => {
                let text = script.text(*node);
                if let Some(name) = NEW_VARIABLES.iter().find(|v| v.eq_ignore_ascii_case(text)) {
                    findings.push(found(variable_construct(name)));
                }
            }
            "command" => findings.extend(command_findings(script, *node).into_iter().map(found)),
            "expandable_string_literal" | "expandable_here_string_literal" if script.text(*node).contains("`u{") => {
                findings.push(found("`u{} escape"))
            }
            _ => {}
        }
    }
    findings.extend(operator_findings(script, &nodes));
    findings
}

fn variable_construct(name: &str) -> &'static str {
    match name {
        "$PSStyle" => "$PSStyle",
        _ => "$IsWindows / $IsLinux / $IsMacOS / $IsCoreCLR",
    }
}

/// The PowerShell 7 parameters, commands and `clean` blocks of one command.
fn command_findings(script: &Script, node: Node) -> Vec<&'static str> {
    let Some((name, parameters)) = command_parameters(script, node) else { return Vec::new() };
    let mut found = Vec::new();
    for (parameter, argument) in &parameters {
        let lower = parameter.to_ascii_lowercase();
        for (commands, full, construct) in NEW_PARAMETERS {
            let on_command = commands.is_empty() || commands.iter().any(|c| c.eq_ignore_ascii_case(&name));
            // PowerShell takes a prefix of a named command's parameter (two letters at least); on
            // any command (-Skip of Pester's It, say) only the whole name is that parameter.
            let full = full.to_ascii_lowercase();
            let named = if commands.is_empty() { lower == full } else { lower.len() >= 2 && full.starts_with(&lower) };
            if on_command && named {
                found.push(*construct);
            }
        }
        let value = argument.map(|a| script.text(a).trim_matches(|c| c == '\'' || c == '"').to_ascii_lowercase());
        if "encoding".starts_with(&lower) && lower.len() >= 2 && value.as_deref() == Some("utf8nobom") {
            found.push("-Encoding utf8NoBOM");
        }
    }
    if NEW_COMMANDS.iter().any(|c| c.eq_ignore_ascii_case(&name)) {
        found.push("a command PowerShell 7 added");
    }
    // The grammar reads `clean { … }` (PowerShell 7.3) as a command named clean.
    let block_argument = named_children(node)
        .into_iter()
        .filter(|c| c.kind() == "command_elements")
        .flat_map(named_children)
        .any(|e| e.kind() == "script_block_expression" || e.kind() == "script_block");
    if name.eq_ignore_ascii_case("clean") && block_argument {
        found.push("clean block");
    }
    found
}

/// The script's code with every comment and string blanked out (positions kept).
fn code_only(script: &Script, nodes: &[Node]) -> Vec<u8> {
    let mut code = script.source.as_bytes().to_vec();
    for node in nodes {
        if matches!(
            node.kind(),
            "comment"
                | "verbatim_string_characters"
                | "expandable_string_literal"
                | "verbatim_here_string_characters"
                | "expandable_here_string_literal"
        ) {
            for byte in &mut code[node.byte_range()] {
                if *byte != b'\n' {
                    *byte = b' ';
                }
            }
        }
    }
    code
}

/// The operators the grammar has no node for, found in the code between comments and strings.
fn operator_findings(script: &Script, nodes: &[Node]) -> Vec<Finding> {
    let code = code_only(script, nodes);
    let mut findings = Vec::new();
    let at = |offset: usize| {
        let before = &script.source[..offset];
        let row = before.matches('\n').count() + 1;
        let column = offset - before.rfind('\n').map_or(0, |n| n + 1) + 1;
        format!("{}:{row}:{column}", script.name)
    };
    let mut index = 0;
    while index < code.len() {
        let construct = operator_at(&code, index);
        if let Some((construct, width)) = construct {
            findings.push(Finding { at: at(index), construct });
            index += width;
        } else {
            index += 1;
        }
    }
    findings
}

/// The PowerShell 7 operator that starts at `index`, with its width.
fn operator_at(code: &[u8], index: usize) -> Option<(&'static str, usize)> {
    let byte = code[index];
    let next = code.get(index + 1).copied();
    let previous = index.checked_sub(1).map(|i| code[i]);
    if clean_block_at(code, index) {
        return Some(("clean block", 5));
    }
    match byte {
        b'?' if next == Some(b'?') => Some(("?? / ??= null-coalescing", 2)),
        b'?' if matches!(next, Some(b'.' | b'[')) && null_conditional_operand(code, index) => {
            Some(("?. / ?[] null-conditional access", 2))
        }
        b'?' if previous.is_some_and(|p| p.is_ascii_whitespace())
            && next.is_some_and(|n| n.is_ascii_whitespace())
            && !starts_a_command(code, index) =>
        {
            Some(("ternary ? :", 1))
        }
        b'&' if next != Some(b'&')
            && previous != Some(b'&')
            && previous != Some(b'>')
            && ends_a_statement(code, index) =>
        {
            Some(("& background operator", 1))
        }
        _ => None,
    }
}

/// Whether a `clean { … }` block (PowerShell 7.3) starts at `index`: the grammar knows only
/// dynamicparam, begin, process and end blocks, so it reads one as an error or a command.
fn clean_block_at(code: &[u8], index: usize) -> bool {
    let word = code.get(index..index + 5).is_some_and(|w| w.eq_ignore_ascii_case(b"clean"));
    let before = index.checked_sub(1).map(|i| code[i]);
    let word_start = !before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'$');
    let after = code.get(index + 5..).and_then(|rest| rest.iter().find(|b| !b.is_ascii_whitespace()));
    word && word_start && after == Some(&b'{') && starts_a_command(code, index)
}

/// Whether the `?` at `index` follows what a null-conditional operator applies to: `${name}`,
/// `(…)`, `[…]`, or `$name` (which 5.1 would read as a variable named `name?`).
fn null_conditional_operand(code: &[u8], index: usize) -> bool {
    let Some(previous) = index.checked_sub(1).map(|i| code[i]) else { return false };
    if matches!(previous, b'}' | b')' | b']') {
        return true;
    }
    let mut start = index;
    while start > 0 && (code[start - 1].is_ascii_alphanumeric() || code[start - 1] == b'_' || code[start - 1] == b':') {
        start -= 1;
    }
    start < index && start > 0 && code[start - 1] == b'$'
}

/// Whether a `?` stands where a command starts (the alias of Where-Object): after `|`, `{`,
/// `;`, `(` or at the start of a line.
fn starts_a_command(code: &[u8], index: usize) -> bool {
    let before = code[..index].iter().rev().find(|b| **b != b' ' && **b != b'\t');
    matches!(before, None | Some(b'|' | b'{' | b';' | b'(' | b'\n'))
}

/// Whether only spaces follow up to the end of the line, a `;` or a `}`.
fn ends_a_statement(code: &[u8], index: usize) -> bool {
    let after = code[index + 1..].iter().find(|b| **b != b' ' && **b != b'\t' && **b != b'\r');
    let before = code[..index].iter().rev().find(|b| **b != b' ' && **b != b'\t');
    // `& $command` calls; a lone `&` after code ends a pipeline only at the end of a statement.
    matches!(after, None | Some(b'\n' | b';' | b'}'))
        && !matches!(before, None | Some(b'\n' | b'(' | b'{' | b';' | b'|'))
}

/// `[Type]::new(` of a type that Windows PowerShell 5.1 lacks or does not load.
pub fn new_on_core_only_types(script: &Script, nodes: &[Node]) -> Vec<Finding> {
    let code = String::from_utf8_lossy(&code_only(script, nodes)).to_ascii_lowercase();
    let mut findings = Vec::new();
    for (offset, _) in code.match_indices("]::new(") {
        let Some(open) = opening_bracket(code.as_bytes(), offset) else { continue };
        let type_name = code[open + 1..offset].trim();
        let full = if type_name.starts_with("system.") { type_name.to_string() } else { format!("system.{type_name}") };
        let lacking = NEW_TYPES.iter().any(|t| {
            let t = t.to_ascii_lowercase();
            if t.ends_with('.') { full.starts_with(&t) } else { full == t || full.starts_with(&format!("{t}[")) }
        });
        if lacking {
            let row = script.source[..offset].matches('\n').count() + 1;
            findings.push(Finding { at: format!("{}:{row}", script.name), construct: "::new on a type 5.1 lacks" });
        }
    }
    findings
}

/// The `[` that the `]` at `close` closes.
fn opening_bracket(code: &[u8], close: usize) -> Option<usize> {
    let mut depth = 0usize;
    for index in (0..=close).rev() {
        match code[index] {
            b']' => depth += 1,
            b'[' => {
                depth -= 1;
                if depth == 0 {
                    return Some(index);
                }
            }
            _ => {}
        }
    }
    None
}

/// Every construct of [`powershell_7_only`] and [`new_on_core_only_types`].
pub fn windows_powershell_problems(script: &Script) -> Vec<Finding> {
    let mut findings = powershell_7_only(script);
    findings.extend(new_on_core_only_types(script, &script.nodes()));
    findings
}
