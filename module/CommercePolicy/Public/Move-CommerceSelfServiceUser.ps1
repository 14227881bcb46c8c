# Move-CommerceSelfServiceUser: see its help below.

function Move-CommerceSelfServiceUser {
    <#
    .SYNOPSIS
    Takes over a self-service subscription by moving its users to another subscription.

    .DESCRIPTION
    Runs commerce-policy subscriptions take-over <sub> --move-to <target>: in one transaction of
    the service every user of the subscription gets a license of the target (whose product may
    differ), the subscription is cancelled (status Deleted), and its purchaser is mailed. The
    target needs a free license for every user moved; otherwise nothing changes and a
    ResourceBusy error (exit 6) says how many licenses are missing. Another admin taking the same
    subscription over first is a ResourceBusy error too.

    Subscriptions can be piped in: their SubscriptionId binds by property name (the output of
    Get-CommerceSelfServiceSubscription); each is taken over in its own call.

    -WhatIf asks the service what would happen (--what-if: it carries the take-over out and rolls
    it back) and shows a "What if:" line for each license that would move, each subscription that
    would be cancelled and each mail that would be sent; nothing changes. ConfirmImpact is High:
    it asks before each take-over unless -Confirm:$false is given.

    Prints a CommercePolicy.Outcome object: WhatIf, Moved (UserPrincipalName, From, To),
    Cancelled, Notifications and CorrelationId.

    .PARAMETER SubscriptionId
    The user's subscription to take over (position 0). Tab completion lists the active
    subscriptions.

    .PARAMETER TargetSubscriptionId
    The subscription whose licenses the users get, usually a central one
    (New-CommerceSubscription). Tab completion lists the active subscriptions.

    .PARAMETER As
    The user who acts (a user principal name), on a service without sign-in (serve --auth none,
    the embedded local store); without it the caller is the admin. A service with sign-in ignores
    it: the token says who acts.

    .EXAMPLE
    Get-CommerceSelfServiceSubscription -SelfService -ProductId CFQ7TTC0N8SS | Move-CommerceSelfServiceUser -TargetSubscriptionId 9f71f396-9f16-4449-a978-e591a0d7511e -WhatIf

    Shows what moving every self-service user of the product to the central subscription would
    do; changes nothing.

    .EXAMPLE
    Move-CommerceSelfServiceUser -SubscriptionId 0bf9c874-07a6-45b6-9b83-81244c776510 -TargetSubscriptionId 9f71f396-9f16-4449-a978-e591a0d7511e -Confirm:$false

    .OUTPUTS
    CommercePolicy.Outcome

    .NOTES
    Binary: commerce-policy subscriptions take-over <sub> --move-to <target> [--what-if] --output json

    .LINK
    Get-CommerceSelfServiceSubscription

    .LINK
    Stop-CommerceSelfServiceSubscription
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
    [OutputType('CommercePolicy.Outcome')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $SubscriptionId,

        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $TargetSubscriptionId,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $As
    )

    process {
        $action = 'Move its users to subscription {0} and cancel it' -f $TargetSubscriptionId
        Invoke-CommercePolicyChange -Cmdlet $PSCmdlet -CommandName 'Move-CommerceSelfServiceUser' -Parameters $PSBoundParameters -Target ('subscription {0}' -f $SubscriptionId) -Action $action -Preview:([bool] $WhatIfPreference)
    }
}
