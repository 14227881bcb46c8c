# License assignments in batches: Add- and Remove-CommerceLicenseAssignment collect the users
# piped in, per subscription and in order, and call the binary once per subscription with all
# of them (its --user takes many), instead of once per user.

function Initialize-CommercePolicyLicenseBatch {
    <#
    .SYNOPSIS
    An empty, ordered set of batches: subscription id -> the users to change in it.
    #>
    [CmdletBinding()]
    [OutputType([System.Collections.Specialized.OrderedDictionary])]
    param(
    )

    # The comma keeps PowerShell from enumerating the empty dictionary away.
    , (New-Object System.Collections.Specialized.OrderedDictionary)
}

function Add-CommercePolicyLicenseBatch {
    <#
    .SYNOPSIS
    Adds users to the batch of a subscription, each one that ShouldProcess approves (-WhatIf
    shows a line per user, -Confirm asks per user).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet]
        $Cmdlet,

        [Parameter(Mandatory = $true)]
        [AllowEmptyCollection()]
        [System.Collections.Specialized.OrderedDictionary]
        $Batches,

        [Parameter(Mandatory = $true)]
        [string]
        $SubscriptionId,

        [Parameter(Mandatory = $true)]
        [string[]]
        $User,

        [Parameter(Mandatory = $true)]
        [string]
        $Action
    )

    foreach ($name in $User) {
        if (-not $Cmdlet.ShouldProcess($name, ('{0} in subscription {1}' -f $Action, $SubscriptionId))) {
            continue
        }
        if (-not $Batches.Contains($SubscriptionId)) {
            $Batches[$SubscriptionId] = New-Object System.Collections.Generic.List[string]
        }
        $Batches[$SubscriptionId].Add($name)
    }
}

function Invoke-CommercePolicyLicenseBatch {
    <#
    .SYNOPSIS
    Runs the cmdlet's subcommand once per subscription of the batches, with all its users.
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
        [System.Collections.Specialized.OrderedDictionary]
        $Batches,

        [Parameter(Mandatory = $true)]
        [AllowEmptyCollection()]
        [System.Collections.IDictionary]
        $BoundParameters
    )

    foreach ($subscription in @($Batches.Keys)) {
        $parameters = @{ SubscriptionId = $subscription; UserPrincipalName = $Batches[$subscription].ToArray() }
        if ($BoundParameters.Contains('As')) {
            $parameters.As = $BoundParameters['As']
        }
        $script:CompletionCache = @{}
        Invoke-CommercePolicyCommand -Cmdlet $Cmdlet -CommandName $CommandName -Parameters $parameters -TargetObject $subscription
    }
}
