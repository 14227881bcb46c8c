# The one way the module runs the binary, in the three steps Crescendo gives generated cmdlets:
# build the call from the command table (New-CommercePolicyCall), run the process
# (Invoke-CommercePolicyProcess, its stderr relayed as it arrives by
# Write-CommercePolicyStandardError), and turn its output into objects and error records
# (ConvertFrom-CommercePolicyOutput).

function Invoke-CommercePolicyCommand {
    <#
    .SYNOPSIS
    Runs the binary's subcommand behind a cmdlet and writes its objects and errors.

    .DESCRIPTION
    Errors are written through -Cmdlet, the public cmdlet, so that its -ErrorAction applies.
    -ExitCode receives the binary's exit code, for cmdlets whose answer is the exit code.
    -Preview runs the subcommand with its what-if flag and turns each change it would make into
    a "What if:" line of the cmdlet. -TimeoutMilliseconds bounds the whole call (tab completion).
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
        $TargetObject,

        [Parameter()]
        [ref]
        $ExitCode,

        [Parameter()]
        [switch]
        $Preview,

        [Parameter()]
        [int]
        $TimeoutMilliseconds = 0
    )

    if ($Preview) {
        # -WhatIf may come from $WhatIfPreference rather than the command line.
        $Parameters = Copy-CommercePolicyParameter -Parameters $Parameters
        $Parameters.WhatIf = $true
    }
    $entry = $script:CommandTable[$CommandName]
    $call = New-CommercePolicyCall -Cmdlet $Cmdlet -CommandName $CommandName -Parameters $Parameters
    $binary = Find-CommercePolicyBinary -Cmdlet $Cmdlet

    Write-Verbose ('commerce-policy {0}' -f ($call.Arguments -join ' '))
    $messages = New-Object System.Collections.Generic.List[string]
    $run = $null
    try {
        $process = @{
            FilePath            = $binary
            ArgumentList        = $call.Arguments
            Environment         = $call.Environment
            InputLine           = $call.InputLines
            InputSecret         = $call.Secret
            Interactive         = $call.Interactive
            TimeoutMilliseconds = $TimeoutMilliseconds
        }
        Invoke-CommercePolicyProcess @process | ForEach-Object {
            if ($_ -is [string]) {
                Write-CommercePolicyStandardError -Line $_ -Messages $messages
            }
            else {
                $run = $_
            }
        }
    }
    catch [System.Management.Automation.PipelineStoppedException] {
        throw
    }
    catch {
        $message = 'Could not run {0}: {1}' -f $binary, $_.Exception.Message
        $Cmdlet.WriteError((New-CommercePolicyErrorRecord -Message $message -ExitCode 1 -TargetObject $TargetObject))
        return
    }
    if ($null -ne $ExitCode) {
        $ExitCode.Value = $run.ExitCode
    }
    ConvertFrom-CommercePolicyOutput -Cmdlet $Cmdlet -Entry $entry -Run $run -Messages $messages -TargetObject $TargetObject -Preview:$Preview
}

function Invoke-CommercePolicyChange {
    <#
    .SYNOPSIS
    Runs a subcommand that changes something, as a cmdlet with SupportsShouldProcess does.

    .DESCRIPTION
    With -Preview (the cmdlet's -WhatIf, for a subcommand with a what-if flag of its own) the
    binary computes what would happen and each change it answers becomes a "What if:" line;
    nothing changes. Otherwise ShouldProcess decides (-Confirm asks, and -WhatIf of a subcommand
    without a what-if flag is PowerShell's own line, without running the binary); a change
    clears the tab completion cache, whose ids may be stale after it.
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

        [Parameter(Mandatory = $true)]
        [string]
        $Target,

        [Parameter(Mandatory = $true)]
        [string]
        $Action,

        [Parameter()]
        [switch]
        $Preview
    )

    if ($Preview) {
        Invoke-CommercePolicyCommand -Cmdlet $Cmdlet -CommandName $CommandName -Parameters $Parameters -TargetObject $Target -Preview
        return
    }
    if (-not $Cmdlet.ShouldProcess($Target, $Action)) {
        return
    }
    $script:CompletionCache = @{}
    Invoke-CommercePolicyCommand -Cmdlet $Cmdlet -CommandName $CommandName -Parameters $Parameters -TargetObject $Target
}

function Copy-CommercePolicyParameter {
    <#
    .SYNOPSIS
    A hashtable copy of a cmdlet's bound parameters, for a call that adds or leaves out some
    ($PSBoundParameters itself is the cmdlet's own and must stay as it is).
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory = $true)]
        [AllowEmptyCollection()]
        [System.Collections.IDictionary]
        $Parameters
    )

    $copy = @{}
    foreach ($key in $Parameters.Keys) {
        $copy[$key] = $Parameters[$key]
    }
    $copy
}
