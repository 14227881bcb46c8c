# The one way the module runs the binary: build the command line from the command table, run
# the binary with --output json, and turn its answer into typed objects and error records.

# Common parameters that reach a cmdlet's $PSBoundParameters without being its own; they are
# PowerShell's business, not the binary's.
$script:CommonParameterNames = @(
    'Verbose', 'Debug', 'ErrorAction', 'WarningAction', 'InformationAction', 'ProgressAction',
    'ErrorVariable', 'WarningVariable', 'InformationVariable', 'OutVariable', 'OutBuffer',
    'PipelineVariable', 'WhatIf', 'Confirm'
)

function Invoke-CommercePolicyCommand {
    <#
    .SYNOPSIS
    Runs the binary's subcommand behind a cmdlet and writes its objects and errors.

    .DESCRIPTION
    Looks the cmdlet up in $script:CommandTable, maps each parameter onto its flag (or
    environment variable, or standard input), adds the session's endpoint and token
    (Connect-MSCommerce), runs the binary, and then:
    - writes each JSON object it printed, with the table's type name;
    - writes each result whose Status is Failed as an error record (category from its ExitCode);
    - on a failed exit with no JSON, writes one error record whose message is the binary's line;
    - writes the binary's log lines and the correlation ids with Write-Verbose.
    Errors are written through -Cmdlet, the public cmdlet, so that its -ErrorAction applies.
    #>
    [CmdletBinding()]
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
        $Parameters,

        [Parameter()]
        [object]
        $TargetObject
    )

    $entry = $script:CommandTable[$CommandName]
    $call = New-CommercePolicyCall -CommandName $CommandName -Parameters $Parameters
    $binary = Find-CommercePolicyBinary -Cmdlet $Cmdlet

    Write-Verbose ('commerce-policy {0}' -f ($call.Arguments -join ' '))
    try {
        $run = Invoke-CommercePolicyProcess -FilePath $binary -ArgumentList $call.Arguments -Environment $call.Environment -InputLine $call.InputLines
    }
    catch {
        $message = 'Could not run {0}: {1}' -f $binary, $_.Exception.Message
        $Cmdlet.WriteError((New-CommercePolicyErrorRecord -Message $message -ExitCode 1 -TargetObject $TargetObject))
        return
    }

    $messages = New-Object System.Collections.Generic.List[string]
    foreach ($line in ($run.StandardError -split '\r?\n')) {
        if ($line.Trim().Length -eq 0) {
            continue
        }
        if ($line.StartsWith('commerce-policy: ')) {
            $messages.Add($line)
        }
        else {
            Write-Verbose $line
        }
    }

    $items = $null
    $text = $run.StandardOutput.Trim()
    if ($text.StartsWith('[') -or $text.StartsWith('{')) {
        try {
            $items = ConvertFrom-Json -InputObject $text
        }
        catch {
            $message = 'commerce-policy printed output that is not JSON: {0}' -f $_.Exception.Message
            $Cmdlet.WriteError((New-CommercePolicyErrorRecord -Message $message -ExitCode 1 -TargetObject $TargetObject))
            return
        }
    }

    if ($null -eq $items) {
        if ($run.ExitCode -ne 0) {
            $message = 'commerce-policy exited with code {0}' -f $run.ExitCode
            if ($messages.Count -gt 0) {
                $message = $messages -join ' '
            }
            $Cmdlet.WriteError((New-CommercePolicyErrorRecord -Message $message -ExitCode $run.ExitCode -TargetObject $TargetObject))
        }
        return
    }

    # A batch with failures exits non-zero and still prints every result; its summary line
    # repeats what the failed results say.
    foreach ($message in $messages) {
        Write-Verbose $message
    }

    foreach ($item in $items) {
        $properties = $item.PSObject.Properties
        if ($null -ne $properties['CorrelationId'] -and $null -ne $item.CorrelationId) {
            Write-Verbose ('{0}: {1} (correlation id {2})' -f $item.ProductId, $item.Status, $item.CorrelationId)
        }
        if ($null -ne $properties['Status'] -and $item.Status -eq 'Failed') {
            $code = 1
            if ($null -ne $item.ExitCode) {
                $code = [int] $item.ExitCode
            }
            $message = '{0}: {1}' -f $item.ProductId, $item.Error
            $Cmdlet.WriteError((New-CommercePolicyErrorRecord -Message $message -ExitCode $code -TargetObject $item.ProductId))
            continue
        }

        $typeName = $entry.TypeName
        if ($null -ne $entry.ScopeTypeName -and $null -ne $properties['Scope']) {
            $typeName = $entry.ScopeTypeName
        }
        $item.PSObject.TypeNames.Insert(0, $typeName)
        $item
    }
}

function New-CommercePolicyCall {
    <#
    .SYNOPSIS
    Maps a cmdlet's parameters onto the binary's command line, environment and standard input.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
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
        Arguments   = New-Object System.Collections.Generic.List[string]
        Environment = @{}
        InputLines  = New-Object System.Collections.Generic.List[string]
    }
    $positional = New-Object System.Collections.Generic.List[string]
    foreach ($part in $entry.Command) {
        $call.Arguments.Add($part)
    }

    # The session's settings first (mapped as Connect-MSCommerce's parameters), then the
    # cmdlet's own, so that -Token overrides the session's token.
    $sources = @(
        @{ Map = $script:CommandTable['Connect-MSCommerce'].Parameters; Settings = $script:Session; Owner = 'Connect-MSCommerce' },
        @{ Map = $entry.Parameters; Settings = $Parameters; Owner = $CommandName }
    )
    foreach ($source in $sources) {
        foreach ($name in @($source.Settings.Keys)) {
            $mapping = $source.Map[$name]
            if ($null -eq $mapping) {
                if ($script:CommonParameterNames -contains $name) {
                    continue
                }
                throw ('Internal error: parameter {0} of {1} has no entry in the command table' -f $name, $source.Owner)
            }
            $value = $source.Settings[$name]
            if ($null -ne $mapping.Unmapped -or $null -eq $value) {
                continue
            }
            if ($null -ne $mapping.Env) {
                if ([string] $value -ne '') {
                    $call.Environment[$mapping.Env] = [string] $value
                }
            }
            elseif ($mapping.Switch) {
                if ($value) {
                    $call.Arguments.Add($mapping.Flag)
                }
            }
            elseif ($mapping.Stdin) {
                $call.Arguments.Add($mapping.Flag)
                $call.Arguments.Add('-')
                foreach ($item in @($value)) {
                    $call.InputLines.Add([string] $item)
                }
            }
            elseif ($null -ne $mapping.Positional) {
                foreach ($item in @($value)) {
                    $positional.Add([string] $item)
                }
            }
            else {
                foreach ($item in @($value)) {
                    $call.Arguments.Add($mapping.Flag)
                    $call.Arguments.Add([string] $item)
                }
            }
        }
    }

    $call.Arguments.AddRange([string[]] $script:InvariantFlags.Output)
    if ($VerbosePreference -ne 'SilentlyContinue') {
        $call.Arguments.AddRange([string[]] $script:InvariantFlags.Verbose)
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

function New-CommercePolicyErrorRecord {
    <#
    .SYNOPSIS
    An error record for a failure of the binary: its exit code chooses the category and id.
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param(
        [Parameter(Mandatory = $true)]
        [string]
        $Message,

        [Parameter(Mandatory = $true)]
        [int]
        $ExitCode,

        [Parameter()]
        [object]
        $TargetObject
    )

    $kind = $script:ExitCodeErrors[$ExitCode]
    if ($null -eq $kind) {
        $kind = $script:ExitCodeErrors[1]
    }
    $exception = New-Object System.Exception -ArgumentList $Message
    $category = [System.Management.Automation.ErrorCategory] $kind.Category
    $record = New-Object System.Management.Automation.ErrorRecord -ArgumentList @($exception, $kind.ErrorId, $category, $TargetObject)

    # The binary ends its line with what to do, after an em dash.
    $dash = ' {0} ' -f [char] 0x2014
    $at = $Message.LastIndexOf($dash)
    if ($at -ge 0) {
        $details = New-Object System.Management.Automation.ErrorDetails -ArgumentList $Message
        $details.RecommendedAction = $Message.Substring($at + $dash.Length)
        $record.ErrorDetails = $details
    }
    if ($Message -match '\(correlation id ([0-9A-Fa-f-]+)\)') {
        Write-Verbose ('correlation id {0}' -f $Matches[1])
    }
    $record
}

function Invoke-CommercePolicyProcess {
    <#
    .SYNOPSIS
    Runs a program with arguments, extra environment variables of its own and standard input,
    and returns its exit code, standard output and standard error.

    .DESCRIPTION
    System.Diagnostics.Process rather than the call operator: the environment variables are the
    child's only (a token never enters this PowerShell process's environment), stdout and stderr
    stay apart, and Windows PowerShell 5.1's quoting of native arguments does not apply.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory = $true)]
        [string]
        $FilePath,

        [Parameter(Mandatory = $true)]
        [AllowEmptyCollection()]
        [string[]]
        $ArgumentList,

        [Parameter()]
        [hashtable]
        $Environment = @{},

        [Parameter()]
        [AllowEmptyCollection()]
        [string[]]
        $InputLine = @()
    )

    $utf8 = New-Object System.Text.UTF8Encoding -ArgumentList $false
    $startInfo = New-Object System.Diagnostics.ProcessStartInfo
    $startInfo.FileName = $FilePath
    $startInfo.UseShellExecute = $false
    $startInfo.CreateNoWindow = $true
    $startInfo.RedirectStandardInput = $true
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    $startInfo.StandardOutputEncoding = $utf8
    $startInfo.StandardErrorEncoding = $utf8
    if ($null -ne $startInfo.PSObject.Properties['ArgumentList']) {
        foreach ($argument in $ArgumentList) {
            $startInfo.ArgumentList.Add($argument)
        }
    }
    else {
        # .NET Framework (Windows PowerShell 5.1) takes one command line string.
        $startInfo.Arguments = (@($ArgumentList | ForEach-Object { ConvertTo-CommandLineArgument -Argument $_ })) -join ' '
    }
    foreach ($name in $Environment.Keys) {
        $startInfo.EnvironmentVariables[$name] = $Environment[$name]
    }

    $process = New-Object System.Diagnostics.Process
    $process.StartInfo = $startInfo
    [void] $process.Start()
    try {
        # Read both streams while writing stdin, so that no pipe fills up and blocks.
        $standardOutput = $process.StandardOutput.ReadToEndAsync()
        $standardError = $process.StandardError.ReadToEndAsync()
        try {
            foreach ($line in $InputLine) {
                $process.StandardInput.WriteLine($line)
            }
            $process.StandardInput.Close()
        }
        catch [System.IO.IOException] {
            # The binary stopped before reading its input (a usage error, say): its exit code
            # and stderr tell why.
            Write-Verbose ('commerce-policy did not read its input: {0}' -f $_.Exception.Message)
        }
        $process.WaitForExit()
        @{
            ExitCode       = $process.ExitCode
            StandardOutput = $standardOutput.Result
            StandardError  = $standardError.Result
        }
    }
    finally {
        $process.Dispose()
    }
}

function ConvertTo-CommandLineArgument {
    <#
    .SYNOPSIS
    Quotes one argument for a Windows command line (the rules of CommandLineToArgvW).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory = $true)]
        [AllowEmptyString()]
        [string]
        $Argument
    )

    if ($Argument.Length -gt 0 -and $Argument -notmatch '[\s"]') {
        return $Argument
    }
    # Backslashes are literal except before a quote: double those, and those at the end.
    $escaped = $Argument -replace '(\\*)"', '$1$1\"'
    $escaped = $escaped -replace '(\\+)$', '$1$1'
    '"{0}"' -f $escaped
}
