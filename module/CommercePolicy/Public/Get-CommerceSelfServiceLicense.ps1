# Get-CommerceSelfServiceLicense: see its help below.

function Get-CommerceSelfServiceLicense {
    <#
    .SYNOPSIS
    Who holds licenses: per product, the licenses of all its subscriptions and the users by
    purchaser.

    .DESCRIPTION
    Prints one CommercePolicy.License object per product, however many purchases there are
    (commerce-policy licenses list): ProductId, ProductName, TotalLicenses (all its
    subscriptions' licenses, the admin center's "available quantity"), AssignedLicenses,
    AvailableLicenses and Purchasers, each with its UserPrincipalName, DisplayName and the Users
    holding its licenses (the tenant's own subscriptions under an empty UserPrincipalName).

    .PARAMETER ProductId
    Only this product. Tab completion lists the products.

    .PARAMETER SelfService
    Only products bought self-service.

    .PARAMETER As
    The user who acts (a user principal name), on a service without sign-in (serve --auth none,
    the embedded local store); without it the caller is the admin. A service with sign-in ignores
    it: the token says who acts.

    .EXAMPLE
    Get-CommerceSelfServiceLicense -SelfService

    .EXAMPLE
    Get-CommerceSelfServiceLicense -ProductId CFQ7TTC0N8SS | Select-Object -ExpandProperty Purchasers

    The purchasers of one product, each with the users who hold its licenses.

    .OUTPUTS
    CommercePolicy.License

    .NOTES
    Binary: commerce-policy licenses list [--self-service] [--product-id <id>] --output json

    .LINK
    Get-CommerceSelfServiceSubscription
    #>
    [CmdletBinding()]
    [OutputType('CommercePolicy.License')]
    param(
        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $ProductId,

        [Parameter()]
        [switch]
        $SelfService,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $As
    )

    process {
        Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Get-CommerceSelfServiceLicense' -Parameters $PSBoundParameters -TargetObject $ProductId
    }
}
