# Building the call: a cmdlet's parameters mapped, by its entry of the command table
# (CommercePolicy.Commands.psd1), onto the binary's command line, environment and standard input.

# Common parameters that reach a cmdlet's $PSBoundParameters without being its own; they are
# PowerShell's business, not the binary's.
$script:CommonParameterNames = @(
    'Verbose', 'Debug', 'ErrorAction', 'WarningAction', 'InformationAction', 'ProgressAction',
    'ErrorVariable', 'WarningVariable', 'InformationVariable', 'OutVariable', 'OutBuffer',
    'PipelineVariable', 'WhatIf', 'Confirm'
)

function Test-CommercePolicyDesktopEdition {
    <#
    .SYNOPSIS
    Whether this is Windows PowerShell 5.1 (Desktop edition), whose child processes get a byte
    order mark on standard input when the console is UTF-8.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param(
    )

    $PSVersionTable.PSEdition -ne 'Core'
}

function New-CommercePolicyCall {
    <#
    .SYNOPSIS
    Maps a cmdlet's parameters onto the binary's command line, environment and standard input.

    .DESCRIPTION
    The session's endpoint and token first (through $script:SessionParameters, so that no
    sign-in parameter of Connect-MSCommerce can reach another cmdlet), then the cmdlet's own
    parameters (so that -Token overrides the session's token), then the invariant flags: JSON
    output, JSON log lines, --verbose under -Verbose, and --require-connection for the
    MSCommerce-named cmdlets. A parameter is looked up in the entry's Parameters, then in its
    Implied flags (those the cmdlet sets itself).
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet]
        $Cmdlet,

        [Parameter(Mandatory = $true)]
        [string]
        $CommandName,

        [Parameter(Mandatory = $true)]
        [AllowEmptyCollection()]
        [System.Collections.IDictionary]
        $Parameters
    )

    $entry = $script:CommandTable[$CommandName]
    $call = @{
        Arguments    = New-Object System.Collections.Generic.List[string]
        Environment  = @{}
        InputLines   = New-Object System.Collections.Generic.List[string]
        Secret       = $null
        Interactive  = $false
        OutputFormat = $null
    }
    $positional = New-Object System.Collections.Generic.List[string]
    # A parameter set may run a subcommand of its own (SetCommands); the others run Command.
    $setName = $Cmdlet.ParameterSetName
    $command = $entry.Command
    if ($null -ne $entry.SetCommands -and $null -ne $entry.SetCommands[$setName]) {
        $command = $entry.SetCommands[$setName]
    }
    foreach ($part in $command) {
        $call.Arguments.Add($part)
    }

    $implied = @{}
    if ($null -ne $entry.Implied) {
        $implied = $entry.Implied
    }
    $sources = @(
        @{ Map = $script:SessionParameters; Settings = $script:Session; Owner = 'the session' },
        @{ Map = $entry.Parameters; Settings = $Parameters; Owner = $CommandName; Implied = $implied }
    )
    foreach ($source in $sources) {
        foreach ($name in @($source.Settings.Keys)) {
            $mapping = $source.Map[$name]
            if ($null -eq $mapping -and $null -ne $source.Implied) {
                $mapping = $source.Implied[$name]
            }
            if ($null -eq $mapping) {
                if ($script:CommonParameterNames -contains $name) {
                    continue
                }
                throw ('Internal error: parameter {0} of {1} has no entry in the command table' -f $name, $source.Owner)
            }
            if ($null -ne $mapping.Sets -and @($mapping.Sets) -notcontains $setName) {
                # The subcommand of this set lacks the flag; the cmdlet handles it itself.
                continue
            }
            Add-CommercePolicyArgument -Cmdlet $Cmdlet -Call $call -Positional $positional -Mapping $mapping -Value $source.Settings[$name] -Name $name
        }
    }

    $output = [string[]] $script:InvariantFlags.Output
    if ($null -ne $call.OutputFormat) {
        # The binary writes a file in this format (Export-CommerceSelfServiceUser -Path).
        $output = [string[]] @($output[0], $call.OutputFormat)
    }
    $call.Arguments.AddRange($output)
    $call.Arguments.AddRange([string[]] $script:InvariantFlags.LogFormat)
    if ($VerbosePreference -ne 'SilentlyContinue' -and $VerbosePreference -ne 'Ignore') {
        $call.Arguments.AddRange([string[]] $script:InvariantFlags.Verbose)
    }
    if ($entry.RequireConnection) {
        $call.Arguments.AddRange([string[]] $script:InvariantFlags.RequireConnection)
    }
    if ($positional.Count -gt 0) {
        # After '--' an id that starts with '-' is still an id.
        $call.Arguments.Add('--')
        $call.Arguments.AddRange($positional)
    }
    $call.Arguments = $call.Arguments.ToArray()
    $call.InputLines = $call.InputLines.ToArray()
    $call
}

function Add-CommercePolicyArgument {
    <#
    .SYNOPSIS
    Adds one parameter's value to a call, as its mapping says: a flag and its value, a switch, a
    positional argument, lines on stdin, a secret on stdin, or a variable of the child's
    environment.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet]
        $Cmdlet,

        [Parameter(Mandatory = $true)]
        [hashtable]
        $Call,

        [Parameter(Mandatory = $true)]
        [AllowEmptyCollection()]
        [System.Collections.Generic.List[string]]
        $Positional,

        [Parameter(Mandatory = $true)]
        [System.Collections.IDictionary]
        $Mapping,

        [Parameter()]
        [AllowNull()]
        [object]
        $Value,

        [Parameter(Mandatory = $true)]
        [string]
        $Name
    )

    if ($null -ne $Mapping.Unmapped -or $null -eq $Value) {
        return
    }
    if ($null -ne $Mapping.OutputFormat) {
        $Call.OutputFormat = $Mapping.OutputFormat
    }
    if ($Mapping.Path) {
        # The binary runs in the process's working directory, not in PowerShell's location.
        $Value = @(foreach ($item in @($Value)) { $Cmdlet.GetUnresolvedProviderPathFromPSPath([string] $item) })
    }
    if ($null -ne $Mapping.Env) {
        if ($Value -is [System.Security.SecureString]) {
            # Converted by Invoke-CommercePolicyProcess as it starts the child.
            $Call.Environment[$Mapping.Env] = $Value
        }
        elseif ([string] $Value -ne '') {
            $Call.Environment[$Mapping.Env] = [string] $Value
        }
    }
    elseif ($Mapping.SecretStdin) {
        if ($Value -isnot [System.Security.SecureString]) {
            throw ('Internal error: parameter {0} goes to stdin as a secret and must be a SecureString' -f $Name)
        }
        $Call.Arguments.Add($Mapping.Flag)
        if ($null -ne $Mapping.DesktopEnv -and (Test-CommercePolicyDesktopEdition)) {
            # Windows PowerShell writes a byte order mark into the child's stdin first.
            $Call.Environment[$Mapping.DesktopEnv] = $Value
        }
        else {
            $Call.Secret = $Value
        }
    }
    elseif ($Mapping.Switch) {
        if ($Value) {
            $Call.Arguments.Add($Mapping.Flag)
            if ($Mapping.Interactive) {
                $Call.Interactive = $true
            }
        }
    }
    elseif ($Mapping.Stdin) {
        $Call.Arguments.Add($Mapping.Flag)
        $Call.Arguments.Add('-')
        foreach ($item in @($Value)) {
            $Call.InputLines.Add([string] $item)
        }
    }
    elseif ($null -ne $Mapping.Positional) {
        foreach ($item in @($Value)) {
            $Positional.Add([string] $item)
        }
    }
    else {
        foreach ($item in @($Value)) {
            $Call.Arguments.Add($Mapping.Flag)
            $Call.Arguments.Add([string] $item)
        }
    }
}
