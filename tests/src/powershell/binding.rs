//! Binding a call to a parameter set as PowerShell does: named parameters by exact name or
//! unambiguous prefix, positional arguments by each set's positions, mandatory parameters given
//! or taken from the pipeline, and the default set when several remain.

use std::collections::BTreeSet;

use super::{Function, Node, Param, Script, Value, named_children};

/// Common parameters that PowerShell adds to every advanced function.
pub const COMMON_PARAMETERS: &[&str] = &[
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

/// One element of a command as written: `-Name` (with `:` when its argument follows it as
/// `-Name:value`), or an argument.
#[derive(Debug, Clone)]
pub enum Element {
    Parameter { name: String, colon: bool },
    Argument(String),
}

/// A cmdlet call found in a script: its elements in order, arguments read as literals where
/// they are.
pub struct Call {
    pub cmdlet: String,
    pub at: String,
    pub piped: bool,
    /// The properties of the objects piped in, where the command before it is one whose
    /// output is known (see [`piped_properties`]); `None` when unknown.
    pub piped_properties: Option<Vec<&'static str>>,
    pub elements: Vec<Element>,
}

/// A command's named parameters, each with the element after it unless that is another
/// parameter: `-Name value`, `-Name:value`, or a switch `-Name`.
pub type Parameters<'t> = Vec<(String, Option<Node<'t>>)>;

/// A command's name and its elements (`command_parameter` and argument nodes), in order.
fn command_elements<'t>(script: &Script, node: Node<'t>) -> Option<(String, Vec<Node<'t>>)> {
    let parts = named_children(node);
    let name = parts.iter().find(|c| c.kind() == "command_name")?;
    let elements: Vec<Node> = parts
        .iter()
        .filter(|c| c.kind() == "command_elements")
        .flat_map(|c| named_children(*c))
        .filter(|c| c.kind() != "command_argument_sep")
        .collect();
    Some((script.text(*name).to_string(), elements))
}

/// A command's name and its named parameters.
pub fn command_parameters<'t>(script: &Script, node: Node<'t>) -> Option<(String, Parameters<'t>)> {
    let (name, elements) = command_elements(script, node)?;
    let parameters = elements
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind() == "command_parameter")
        .map(|(i, e)| {
            let argument = elements.get(i + 1).filter(|next| next.kind() != "command_parameter").copied();
            (script.text(*e).trim_start_matches('-').trim_end_matches(':').to_string(), argument)
        })
        .collect();
    Some((name, parameters))
}

/// Every call in `script` of one of `cmdlets`, its arguments read as literals where they are.
pub fn calls(script: &Script, cmdlets: &BTreeSet<String>) -> Vec<Call> {
    let mut calls = Vec::new();
    for node in script.nodes().into_iter().filter(|n| n.kind() == "command") {
        let Some((cmdlet, elements)) = command_elements(script, node) else { continue };
        if !cmdlets.iter().any(|c| c.eq_ignore_ascii_case(&cmdlet)) {
            continue;
        }
        let piped = node.prev_sibling().is_some_and(|p| script.text(p) == "|");
        let elements = elements
            .into_iter()
            .map(|element| {
                let text = script.text(element);
                if element.kind() == "command_parameter" {
                    let name = text.trim_start_matches('-').trim_end_matches(':').to_string();
                    // `-Name:value`: the grammar leaves the colon out of the parameter's node.
                    let colon = text.ends_with(':') || script.source[element.end_byte()..].starts_with(':');
                    return Element::Parameter { name, colon };
                }
                Element::Argument(match Value::read(script, element) {
                    Value::Str(s) => s,
                    Value::Bool(b) => if b { "True" } else { "False" }.to_string(),
                    _ => text.to_string(),
                })
            })
            .collect();
        let piped_properties = if piped { piped_properties(script, node) } else { None };
        calls.push(Call { cmdlet, at: script.at(node), piped, piped_properties, elements });
    }
    calls
}

/// The properties of what the command before `node` in its pipeline writes, for the commands
/// whose output the module's usages pipe on: the Get- cmdlets (their MSCommerce properties) and
/// Get-ChildItem / Get-Item (a file's). Filters and sorts pass their input's objects on.
pub fn piped_properties(script: &Script, node: Node) -> Option<Vec<&'static str>> {
    const PASS_ON: &[&str] = &["Where-Object", "where", "?", "Sort-Object", "sort", "Select-Object", "select"];
    let mut previous = node.prev_named_sibling();
    while let Some(command) = previous {
        let (name, parameters) = command_parameters(script, command)?;
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        let given = |p: &str, v: &str| {
            parameters.iter().any(|(n, a)| {
                n.eq_ignore_ascii_case(p)
                    && a.is_none_or(|a| v.is_empty() || script.text(a).trim_matches('\'').eq_ignore_ascii_case(v))
            })
        };
        if PASS_ON.iter().any(|p| is(p)) {
            previous = command.prev_named_sibling();
            continue;
        }
        if is("Get-MSCommerceProductPolicies") || is("Get-MSCommerceProductPolicy") {
            if given("Scope", "OfferType") || given("OfferType", "") {
                return Some(vec!["PolicyId", "PolicyValue", "Scope", "ScopeId", "ScopeValue"]);
            }
            return Some(vec!["PolicyId", "PolicyValue", "ProductName", "ProductId"]);
        }
        if is("Get-MSCommercePolicies") || is("Get-MSCommercePolicy") {
            return Some(vec!["PolicyId", "Description", "DefaultValue"]);
        }
        if let Some((_, properties)) = ADMIN_OUTPUT.iter().find(|(cmdlet, _)| cmdlets_of(cmdlet).any(&is)) {
            return Some(properties.to_vec());
        }
        if is("Get-ChildItem") || is("Get-Item") || is("dir") || is("ls") {
            return Some(vec!["FullName", "Name", "Length"]);
        }
        return None;
    }
    None
}

/// The administration cmdlets' objects, by the cmdlets that write them (separated by `|`): the
/// properties of the binary's `-o json` objects (a contract test holds each list to what the
/// real binary prints).
pub const ADMIN_OUTPUT: &[(&str, &[&str])] = &[
    (
        "Get-CommerceSelfServiceSubscription|New-CommerceSelfServicePurchase|New-CommerceSubscription|Add-CommerceLicenseAssignment|Remove-CommerceLicenseAssignment",
        &[
            "SubscriptionId",
            "ProductId",
            "ProductName",
            "OwnerType",
            "Purchaser",
            "PurchaserName",
            "Quantity",
            "AssignedLicenses",
            "AvailableLicenses",
            "Status",
            "IsTrial",
            "Created",
            "ExpiresOn",
            "Price",
            "Currency",
            "BillingPeriod",
            "AssignedUsers",
        ],
    ),
    (
        "Get-CommerceSelfServiceLicense",
        &["ProductId", "ProductName", "TotalLicenses", "AssignedLicenses", "AvailableLicenses", "Purchasers"],
    ),
    (
        "Export-CommerceSelfServiceUser",
        &["UserPrincipalName", "DisplayName", "Mail", "ProductId", "ProductName", "SubscriptionId", "Purchaser"],
    ),
    ("Get-CommerceUser|New-CommerceUser|Import-CommerceUser", &["UserPrincipalName", "DisplayName", "Mail", "Id"]),
];

/// The cmdlets of an [`ADMIN_OUTPUT`] entry.
pub fn cmdlets_of(entry: &'static str) -> impl Iterator<Item = &'static str> {
    entry.split('|')
}

/// Whether a parameter binds from a piped object's property (by its name or an alias).
fn binds_by_property(param: &Param, properties: &Option<Vec<&'static str>>) -> bool {
    let Some(properties) = properties else { return true };
    let aliases: Vec<String> = param
        .attributes
        .iter()
        .filter(|a| a.is("Alias"))
        .flat_map(|a| a.positional.iter().flat_map(Value::strings))
        .collect();
    properties.iter().any(|p| p.eq_ignore_ascii_case(&param.name) || aliases.iter().any(|a| a.eq_ignore_ascii_case(p)))
}

/// Common parameters that are switches (the others take a value).
const COMMON_SWITCHES: &[&str] = &["Verbose", "Debug", "WhatIf", "Confirm"];

/// A parameter by its exact name, else by an unambiguous prefix, as PowerShell takes it.
fn resolve<'f>(function: &'f Function, name: &str) -> Result<&'f Param, String> {
    if let Some(param) = function.param(name) {
        return Ok(param);
    }
    let lower = name.to_ascii_lowercase();
    match function.params.iter().filter(|p| p.name.to_ascii_lowercase().starts_with(&lower)).collect::<Vec<_>>()[..] {
        [one] => Ok(one),
        [] => Err(format!("no parameter -{name}")),
        _ => Err(format!("-{name} is ambiguous")),
    }
}

/// A call's parameters given by name, each with its argument, and its positional arguments.
type SplitCall<'f> = (Vec<(&'f Param, Option<String>)>, Vec<String>);

/// A call's parameters given by name (each with its argument) and its positional arguments.
fn split_call<'f>(function: &'f Function, call: &Call) -> Result<SplitCall<'f>, String> {
    let mut named = Vec::new();
    let mut positional = Vec::new();
    let mut elements = call.elements.iter().peekable();
    while let Some(element) = elements.next() {
        let (name, colon) = match element {
            Element::Argument(text) => {
                positional.push(text.clone());
                continue;
            }
            Element::Parameter { name, colon } => (name, *colon),
        };
        let common = COMMON_PARAMETERS.iter().chain(["WhatIf", "Confirm"].iter()).any(|c| c.eq_ignore_ascii_case(name));
        let switch = if common {
            COMMON_SWITCHES.iter().any(|c| c.eq_ignore_ascii_case(name))
        } else {
            resolve(function, name)?.type_name.eq_ignore_ascii_case("[switch]")
        };
        let argument = if (!switch || colon) && matches!(elements.peek(), Some(Element::Argument(_))) {
            match elements.next() {
                Some(Element::Argument(text)) => Some(text.clone()),
                _ => None,
            }
        } else {
            None
        };
        if !common {
            named.push((resolve(function, name)?, argument));
        }
    }
    Ok((named, positional))
}

/// The parameter set a call binds to, as PowerShell chooses it, or why it does not bind.
pub fn bind(function: &Function, call: &Call) -> Result<String, String> {
    let (named, positional) = split_call(function, call)?;
    for (param, argument) in &named {
        if let (Some(values), Some(argument)) = (param.validate_set(), argument)
            && !argument.starts_with('$')
            && !values.iter().any(|v| v.eq_ignore_ascii_case(argument))
        {
            return Err(format!("-{} {argument}: not one of {values:?}", param.name));
        }
        if argument.is_none() && !param.type_name.eq_ignore_ascii_case("[switch]") {
            return Err(format!("-{} has no argument", param.name));
        }
    }
    // Per set, the parameters the call gives: by name, then its positional arguments in order
    // of position among the set's positional parameters not given by name.
    let given_in = |set: &str| -> Option<Vec<&Param>> {
        let mut given: Vec<&Param> = named.iter().map(|(p, _)| *p).collect();
        if !given.iter().all(|p| p.membership(set).is_some()) {
            return None;
        }
        let mut open: Vec<(i64, &Param)> = function
            .params
            .iter()
            .filter(|p| !given.iter().any(|g| g.name == p.name))
            .filter_map(|p| function.position(p, set).map(|at| (at, p)))
            .collect();
        open.sort_by_key(|(at, _)| *at);
        if open.len() < positional.len() {
            return None;
        }
        given.extend(open.into_iter().take(positional.len()).map(|(_, p)| p));
        Some(given)
    };
    let candidates: Vec<String> = function
        .sets()
        .into_iter()
        .filter(|set| {
            let Some(given) = given_in(set) else { return false };
            function.params.iter().all(|p| match p.membership(set) {
                Some((true, pipeline)) => {
                    given.iter().any(|g| g.name == p.name)
                        || (call.piped && pipeline && binds_by_property(p, &call.piped_properties))
                }
                _ => true,
            })
        })
        .collect();
    match candidates.as_slice() {
        [one] => Ok(one.clone()),
        [] if !positional.is_empty() => Err(format!("no parameter set takes the positional arguments {positional:?}")),
        [] => Err("no parameter set has every mandatory parameter".to_string()),
        many => match function.binding_string("DefaultParameterSetName") {
            Some(default) if many.contains(&default) => Ok(default),
            _ => Err(format!("ambiguous between {many:?}")),
        },
    }
}

/// Which parameter a positional argument binds to in a set, as PowerShell binds it.
pub fn bind_positional(function: &Function, call: &Call, index: usize) -> Result<String, String> {
    let set = bind(function, call)?;
    let (named, _) = split_call(function, call)?;
    let mut open: Vec<(i64, &Param)> = function
        .params
        .iter()
        .filter(|p| !named.iter().any(|(g, _)| g.name == p.name))
        .filter_map(|p| function.position(p, &set).map(|at| (at, p)))
        .collect();
    open.sort_by_key(|(at, _)| *at);
    open.get(index).map(|(_, p)| p.name.clone()).ok_or_else(|| format!("no positional parameter {index} in {set}"))
}
