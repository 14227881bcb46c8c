# Stop-CommerceSelfServiceSubscription: see its help below.

function Stop-CommerceSelfServiceSubscription {
    <#
    .SYNOPSIS
    Cancels a self-service subscription: an admin taking it over, or its purchaser (-AsPurchaser).

    .DESCRIPTION
    Two parameter sets, one per side:

    - TakeOver (the default, an admin): commerce-policy subscriptions take-over <sub> --cancel
      --reason <reason>. Its users lose their licenses, it is cancelled (status Deleted), and its
      purchaser is mailed. -Reason is mandatory. -WhatIf asks the service what would happen
      (--what-if) and shows a "What if:" line for each subscription that would be cancelled and
      each mail that would be sent.
    - Purchaser (-AsPurchaser): the purchaser cancels a subscription they bought, with
      commerce-policy subscriptions cancel <sub> (-As names them on a service without sign-in).
      -Reason is optional. That subcommand has no what-if flag: -WhatIf is PowerShell's own
      "What if:" line and the binary is not run.

    ConfirmImpact is High in both: it asks before each cancellation unless -Confirm:$false is
    given. Subscriptions can be piped in (SubscriptionId by property name). Prints a
    CommercePolicy.Outcome object: WhatIf, Moved, Cancelled, Notifications and CorrelationId.

    .PARAMETER SubscriptionId
    The subscription to cancel (position 0). Tab completion lists the active subscriptions.

    .PARAMETER Reason
    Why: BoughtCentrally, NoLongerNeeded, TooExpensive, NotApproved, or Other (with -ReasonText).

    .PARAMETER ReasonText
    The reason in words; required with -Reason Other.

    .PARAMETER AsPurchaser
    Cancel as the subscription's purchaser (subscriptions cancel) instead of taking it over.

    .PARAMETER As
    The user who acts (a user principal name), on a service without sign-in (serve --auth none,
    the embedded local store); without it the caller is the admin. A service with sign-in ignores
    it: the token says who acts.

    .EXAMPLE
    Stop-CommerceSelfServiceSubscription -SubscriptionId 0bf9c874-07a6-45b6-9b83-81244c776510 -Reason BoughtCentrally -WhatIf

    .EXAMPLE
    Get-CommerceSelfServiceSubscription -SelfService -Purchaser ann@contoso.com | Stop-CommerceSelfServiceSubscription -Reason Other -ReasonText 'Licensed centrally since May' -Confirm:$false

    .EXAMPLE
    Stop-CommerceSelfServiceSubscription -SubscriptionId 0bf9c874-07a6-45b6-9b83-81244c776510 -AsPurchaser -As ann@contoso.com -Reason NoLongerNeeded

    The purchaser cancels their own subscription.

    .OUTPUTS
    CommercePolicy.Outcome

    .NOTES
    Binary: commerce-policy subscriptions take-over <sub> --cancel --reason <reason> [--reason-text <text>] [--what-if] --output json;
    commerce-policy subscriptions cancel <sub> [--as <upn>] [--reason <reason>] [--reason-text <text>] --output json

    .LINK
    Move-CommerceSelfServiceUser
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High', DefaultParameterSetName = 'TakeOver')]
    [OutputType('CommercePolicy.Outcome')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $SubscriptionId,

        [Parameter(Mandatory = $true, ParameterSetName = 'TakeOver')]
        [Parameter(ParameterSetName = 'Purchaser')]
        [ValidateSet('BoughtCentrally', 'NoLongerNeeded', 'TooExpensive', 'NotApproved', 'Other')]
        [string]
        $Reason,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $ReasonText,

        [Parameter(Mandatory = $true, ParameterSetName = 'Purchaser')]
        [switch]
        $AsPurchaser,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $As
    )

    process {
        $parameters = Copy-CommercePolicyParameter -Parameters $PSBoundParameters
        $action = 'Take it over and cancel it: its users lose their licenses'
        $preview = [bool] $WhatIfPreference
        if ($PSCmdlet.ParameterSetName -eq 'Purchaser') {
            $action = 'Cancel it as its purchaser'
            $preview = $false
        }
        else {
            # take-over --cancel (the table applies --cancel in the TakeOver set only).
            $parameters.Cancel = $true
        }
        Invoke-CommercePolicyChange -Cmdlet $PSCmdlet -CommandName 'Stop-CommerceSelfServiceSubscription' -Parameters $parameters -Target ('subscription {0}' -f $SubscriptionId) -Action $action -Preview:$preview
    }
}
