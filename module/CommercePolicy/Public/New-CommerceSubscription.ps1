# New-CommerceSubscription: see its help below.

function New-CommerceSubscription {
    <#
    .SYNOPSIS
    Buys a subscription centrally, for the tenant ("buy through existing agreements").

    .DESCRIPTION
    Runs commerce-policy subscriptions add: a subscription owned by the tenant, whose licenses the
    admin assigns (Add-CommerceLicenseAssignment) and into which self-service users can be moved
    (Move-CommerceSelfServiceUser, Invoke-CommerceLicenseCentralization). Prints it as a
    CommercePolicy.Subscription object. -WhatIf is PowerShell's own "What if:" line and buys
    nothing.

    .PARAMETER ProductId
    The product to buy. Tab completion lists the products.

    .PARAMETER Quantity
    How many licenses.

    .PARAMETER As
    The user who acts (a user principal name), on a service without sign-in (serve --auth none,
    the embedded local store); without it the caller is the admin. A service with sign-in ignores
    it: the token says who acts.

    .EXAMPLE
    New-CommerceSubscription -ProductId CFQ7TTC0N8SS -Quantity 50

    .OUTPUTS
    CommercePolicy.Subscription

    .NOTES
    Binary: commerce-policy subscriptions add --product-id <id> --quantity <n> --output json

    .LINK
    Invoke-CommerceLicenseCentralization
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
        [ValidateNotNullOrEmpty()]
        [string]
        $As
    )

    process {
        Invoke-CommercePolicyChange -Cmdlet $PSCmdlet -CommandName 'New-CommerceSubscription' -Parameters $PSBoundParameters -Target ('product {0}' -f $ProductId) -Action ('Buy {0} license(s) for the tenant' -f $Quantity)
    }
}
