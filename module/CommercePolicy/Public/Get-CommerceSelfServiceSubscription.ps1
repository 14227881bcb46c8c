# Get-CommerceSelfServiceSubscription: see its help below.

function Get-CommerceSelfServiceSubscription {
    <#
    .SYNOPSIS
    Lists subscriptions (those users bought themselves with -SelfService), or reads one.

    .DESCRIPTION
    Without -SubscriptionId it lists subscriptions (commerce-policy subscriptions list), filtered
    by product, purchaser and status; -SelfService keeps only those users bought themselves, as
    the admin center's "Self-service" filter does. With -SubscriptionId (also from the pipeline by
    property name) it reads each one (commerce-policy subscriptions get); an id the service does
    not know is an ObjectNotFound error.

    Prints CommercePolicy.Subscription objects with the binary's properties as they are:
    SubscriptionId, ProductId, ProductName, OwnerType (User or Tenant), Purchaser (empty for the
    tenant), PurchaserName, Quantity, AssignedLicenses, AvailableLicenses, Status, IsTrial,
    Created and ExpiresOn ([System.DateTimeOffset]), Price, Currency, BillingPeriod and
    AssignedUsers. They pipe into Move-CommerceSelfServiceUser,
    Stop-CommerceSelfServiceSubscription and Export-CommerceSelfServiceUser, which bind their
    SubscriptionId.

    .PARAMETER SubscriptionId
    The subscription to read (position 0). Tab completion lists the active subscriptions.

    .PARAMETER ProductId
    Only subscriptions of this product. Tab completion lists the products.

    .PARAMETER Purchaser
    Only subscriptions this user bought (a user principal name).

    .PARAMETER Status
    Only subscriptions in this status: Active or Deleted.

    .PARAMETER SelfService
    Only subscriptions users bought themselves (self-service purchases), not central ones.

    .PARAMETER Since
    Only subscriptions created since this date (YYYY-MM-DD, UTC) or time (RFC 3339, like
    2026-12-01T00:00:00Z): the purchases that are new since the last check.

    .PARAMETER AllowProduct
    Leave out purchases of these products, which the organisation accepts: product ids, SKU ids
    or part numbers (on a tenant), or product names.

    .PARAMETER As
    The user who acts (a user principal name), on a service without sign-in (serve --auth none,
    the embedded local store); without it the caller is the admin. A service with sign-in ignores
    it: the token says who acts.

    .EXAMPLE
    Get-CommerceSelfServiceSubscription -SelfService

    .EXAMPLE
    Get-CommerceSelfServiceSubscription -SelfService -ProductId CFQ7TTC0N8SS -Status Active

    .EXAMPLE
    if (Get-CommerceSelfServiceSubscription -SelfService -Status Active -Since 2026-12-01 -AllowProduct CFQ7TTC0L3PB) { throw 'Users bought something new' }

    Fails a scheduled job when users bought something new, other than Power BI Pro.

    .EXAMPLE
    Get-CommerceSelfServiceSubscription -SubscriptionId 0bf9c874-07a6-45b6-9b83-81244c776510

    .EXAMPLE
    Get-CommerceSelfServiceSubscription -As ann@contoso.com

    A user sees only the subscriptions they bought.

    .OUTPUTS
    CommercePolicy.Subscription

    .NOTES
    Binary: commerce-policy subscriptions list [--self-service] [--product-id <id>] [--purchaser <upn>] [--status <status>] [--since <date>] [--allow-product <p>...] --output json;
    commerce-policy subscriptions get <sub> --output json

    .LINK
    Move-CommerceSelfServiceUser

    .LINK
    Stop-CommerceSelfServiceSubscription
    #>
    [CmdletBinding(DefaultParameterSetName = 'List')]
    [OutputType('CommercePolicy.Subscription')]
    param(
        [Parameter(Mandatory = $true, Position = 0, ParameterSetName = 'Id', ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string[]]
        $SubscriptionId,

        [Parameter(ParameterSetName = 'List')]
        [ValidateNotNullOrEmpty()]
        [string]
        $ProductId,

        [Parameter(ParameterSetName = 'List')]
        [ValidateNotNullOrEmpty()]
        [string]
        $Purchaser,

        [Parameter(ParameterSetName = 'List')]
        [ValidateSet('Active', 'Deleted')]
        [string]
        $Status,

        [Parameter(ParameterSetName = 'List')]
        [switch]
        $SelfService,

        [Parameter(ParameterSetName = 'List')]
        [ValidateNotNullOrEmpty()]
        [string]
        $Since,

        [Parameter(ParameterSetName = 'List')]
        [ValidateNotNullOrEmpty()]
        [string[]]
        $AllowProduct,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $As
    )

    process {
        if ($PSCmdlet.ParameterSetName -eq 'List') {
            Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Get-CommerceSelfServiceSubscription' -Parameters $PSBoundParameters
            return
        }
        # subscriptions get reads one subscription a call.
        foreach ($id in $SubscriptionId) {
            $parameters = @{ SubscriptionId = $id }
            if ($PSBoundParameters.ContainsKey('As')) {
                $parameters.As = $As
            }
            Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Get-CommerceSelfServiceSubscription' -Parameters $parameters -TargetObject $id
        }
    }
}
