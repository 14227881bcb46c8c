//! A PowerShell function as the contract tests read it: its name, help, `[CmdletBinding()]`,
//! and each parameter with its type, attributes, parameter sets and positions.

use std::collections::BTreeSet;

use super::{Attribute, Node, Script, Value, named_children};

/// Every parameter set of a function without named sets.
pub const ALL_SETS: &str = "__AllParameterSets";

/// A parameter of a function's param block.
#[derive(Debug)]
pub struct Param {
    pub name: String,
    pub type_name: String,
    pub attributes: Vec<Attribute>,
}

impl Param {
    /// (set, mandatory, from the pipeline by property name) for each [Parameter] attribute.
    pub fn memberships(&self) -> Vec<(String, bool, bool)> {
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

    /// (mandatory, from the pipeline by property name) in `set`, if the parameter is in it.
    pub fn membership(&self, set: &str) -> Option<(bool, bool)> {
        let memberships = self.memberships();
        memberships
            .iter()
            .find(|(s, _, _)| s == set)
            .or_else(|| memberships.iter().find(|(s, _, _)| s == ALL_SETS))
            .map(|&(_, mandatory, pipeline)| (mandatory, pipeline))
    }

    /// The position its `[Parameter(Position = n)]` gives it in `set`, if any.
    pub fn declared_position(&self, set: &str) -> Option<i64> {
        let in_set = |a: &&&Attribute| a.string("ParameterSetName").unwrap_or_else(|| ALL_SETS.to_string()) == set;
        let attributes: Vec<&Attribute> = self.attributes.iter().filter(|a| a.is("Parameter")).collect();
        let attribute = attributes
            .iter()
            .find(in_set)
            .or_else(|| attributes.iter().find(|a| a.string("ParameterSetName").is_none()))?;
        match attribute.named.get("position")? {
            Value::Other(text) => text.parse().ok(),
            _ => None,
        }
    }

    /// The values of its `[ValidateSet(...)]`, if it has one.
    pub fn validate_set(&self) -> Option<Vec<String>> {
        self.attributes
            .iter()
            .find(|a| a.is("ValidateSet"))
            .map(|a| a.positional.iter().flat_map(Value::strings).collect())
    }
}

/// A function of a PowerShell file: its name, help, [CmdletBinding()] and parameters.
#[derive(Debug)]
pub struct Function {
    pub name: String,
    pub at: String,
    pub help: String,
    pub binding: Option<Attribute>,
    pub params: Vec<Param>,
}

impl Function {
    /// Reads a `function_statement` node.
    pub fn read(script: &Script, node: Node) -> Function {
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

    /// A parameter's position in `set`: the declared one; or, where no parameter declares one,
    /// its place among the parameters that are not switches (PowerShell's PositionalBinding).
    pub fn position(&self, param: &Param, set: &str) -> Option<i64> {
        param.membership(set)?;
        let declared = self.params.iter().any(|p| self.sets().iter().any(|s| p.declared_position(s).is_some()));
        if declared {
            return param.declared_position(set);
        }
        let switch = |p: &Param| p.type_name.eq_ignore_ascii_case("[switch]");
        if switch(param) {
            return None;
        }
        self.params.iter().filter(|p| !switch(p)).position(|p| p.name == param.name).map(|at| at as i64)
    }

    /// A parameter by name (ignoring case).
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Whether `[CmdletBinding()]` sets `name` (`SupportsShouldProcess`).
    pub fn binding_flag(&self, name: &str) -> bool {
        self.binding.as_ref().is_some_and(|b| b.flag(name))
    }

    /// A string argument of `[CmdletBinding()]` (`DefaultParameterSetName`).
    pub fn binding_string(&self, name: &str) -> Option<String> {
        self.binding.as_ref().and_then(|b| b.string(name))
    }

    /// The parameter set names, or the one implicit set.
    pub fn sets(&self) -> BTreeSet<String> {
        let sets: BTreeSet<String> =
            self.params.iter().flat_map(Param::memberships).map(|(set, _, _)| set).filter(|s| s != ALL_SETS).collect();
        if sets.is_empty() { BTreeSet::from([ALL_SETS.to_string()]) } else { sets }
    }

    /// A set as `Name` for a mandatory parameter and `Name?` for an optional one.
    pub fn describe_set(&self, set: &str) -> Vec<String> {
        self.params
            .iter()
            .filter_map(|p| {
                p.membership(set).map(|(mandatory, _)| if mandatory { p.name.clone() } else { format!("{}?", p.name) })
            })
            .collect()
    }
}

/// The `attribute` nodes of an `attribute_list`, or the node itself if it is one.
pub fn attributes(node: Node) -> Vec<Node> {
    if node.kind() == "attribute" {
        vec![node]
    } else {
        named_children(node).into_iter().filter(|c| c.kind() == "attribute").collect()
    }
}
