# Invoke-CommerceLicenseCentralization: see its help below.

function Invoke-CommerceLicenseCentralization {
    <#
    .SYNOPSIS
    Licenses every self-service user of a product from a central subscription, and asks the
    purchasers to cancel.

    .DESCRIPTION
    Runs commerce-policy centralize --product-id <id> --to <target>: every user who holds the
    product through self-service purchases gets a license of the central subscription, all or
    nothing (too few free licenses is a ResourceBusy error that says how many are missing, and
    nothing changes), and each purchaser is mailed and asked to cancel; their subscriptions stay
    until they do.

    -WhatIf asks the service what would happen (--what-if) and shows a "What if:" line for each
    license that would be assigned and each mail that would be sent; nothing changes.
    ConfirmImpact is High: it asks first unless -Confirm:$false is given. Products can be piped
    in (ProductId by property name, as the output of Get-CommerceSelfServiceLicense).

    Prints a CommercePolicy.Outcome object: WhatIf, Moved (UserPrincipalName, From, To),
    Cancelled (none), Notifications and CorrelationId.

    .PARAMETER ProductId
    The product whose self-service users are licensed centrally. Tab completion lists the
    products.

    .PARAMETER TargetSubscriptionId
    The central subscription whose licenses the users get (New-CommerceSubscription). Tab
    completion lists the active subscriptions.

    .PARAMETER As
    The user who acts (a user principal name), on a service without sign-in (serve --auth none,
    the embedded local store); without it the caller is the admin. A service with sign-in ignores
    it: the token says who acts.

    .EXAMPLE
    Invoke-CommerceLicenseCentralization -ProductId CFQ7TTC0N8SS -TargetSubscriptionId 9f71f396-9f16-4449-a978-e591a0d7511e -WhatIf

    .EXAMPLE
    $central = New-CommerceSubscription -ProductId CFQ7TTC0N8SS -Quantity 50 -Confirm:$false
    Invoke-CommerceLicenseCentralization -ProductId CFQ7TTC0N8SS -TargetSubscriptionId $central.SubscriptionId -Confirm:$false

    Buys the product centrally, then moves its self-service users onto it.

    .OUTPUTS
    CommercePolicy.Outcome

    .NOTES
    Binary: commerce-policy centralize --product-id <id> --to <target> [--what-if] --output json

    .LINK
    New-CommerceSubscription

    .LINK
    Get-CommerceSelfServiceLicense
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
    [OutputType('CommercePolicy.Outcome')]
    param(
        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $ProductId,

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
        $action = 'License its self-service users from subscription {0} and ask the purchasers to cancel' -f $TargetSubscriptionId
        Invoke-CommercePolicyChange -Cmdlet $PSCmdlet -CommandName 'Invoke-CommerceLicenseCentralization' -Parameters $PSBoundParameters -Target ('product {0}' -f $ProductId) -Action $action -Preview:([bool] $WhatIfPreference)
    }
}
