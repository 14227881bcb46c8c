# New-CommerceSelfServicePurchase: see its help below.

function New-CommerceSelfServicePurchase {
    <#
    .SYNOPSIS
    Buys licenses of a product as a user: a self-service purchase, which the product's
    AllowSelfServicePurchase value allows or refuses.

    .DESCRIPTION
    Runs commerce-policy purchase (the user side of the emulator): Enabled allows a paid purchase
    and a trial, OnlyTrialsWithoutPaymentMethod a trial only (for products that offer one),
    Disabled neither. A refusal is a PermissionDenied error whose message names the policy and
    its value. The new subscription belongs to the buyer; it is printed as a
    CommercePolicy.Subscription object. -WhatIf is PowerShell's own "What if:" line (the binary
    has no what-if for a purchase) and buys nothing.

    .PARAMETER ProductId
    The product to buy. Tab completion lists the products.

    .PARAMETER Quantity
    How many licenses.

    .PARAMETER Trial
    Start a trial instead of a paid subscription.

    .PARAMETER As
    The user who acts (a user principal name), on a service without sign-in (serve --auth none,
    the embedded local store); without it the caller is the admin. A service with sign-in ignores
    it: the token says who acts.

    .EXAMPLE
    New-CommerceSelfServicePurchase -ProductId CFQ7TTC0N8SS -Quantity 3 -As ann@contoso.com

    .EXAMPLE
    New-CommerceSelfServicePurchase -ProductId CFQ7TTC0N8SS -Quantity 1 -Trial -As ann@contoso.com

    .OUTPUTS
    CommercePolicy.Subscription

    .NOTES
    Binary: commerce-policy purchase --product-id <id> --quantity <n> [--trial] [--as <upn>] --output json

    .LINK
    Get-CommerceSelfServiceSubscription
    #>
    [CmdletBinding(SupportsShouldProcess = $true)]
    [OutputType('CommercePolicy.Subscription')]
    param(
        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $ProductId,

        [Parameter(Mandatory = $true)]
        [ValidateRange(1, 1000000)]
        [int]
        $Quantity,

        [Parameter()]
        [switch]
        $Trial,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $As
    )

    process {
        $action = 'Buy {0} license(s)' -f $Quantity
        if ($Trial) {
            $action = 'Start a trial of {0} license(s)' -f $Quantity
        }
        Invoke-CommercePolicyChange -Cmdlet $PSCmdlet -CommandName 'New-CommerceSelfServicePurchase' -Parameters $PSBoundParameters -Target ('product {0}' -f $ProductId) -Action $action
    }
}
