# Tab completion of -PolicyId, -ProductId, -OfferType and subscription ids from what the service lists: the binary
# asked exactly as the Get- cmdlets ask it, bounded to about a second, and silent (no error,
# warning, verbose or information record reaches the prompt).

function Get-CommercePolicyCompletion {
    <#
    .SYNOPSIS
    Completion results for a policy id, a product id or an offer type, with names as tooltips.

    .DESCRIPTION
    Product ids, offer types and subscription ids match on the id's start or anywhere in the
    name, so that 'Visio' completes to the Visio products' ids (and a subscription's product name
    or purchaser to its id). Answers are cached per endpoint and policy until Connect-MSCommerce,
    Disconnect-MSCommerce or a cmdlet that changes policies or subscriptions; a failed
    or slow call (CompletionTimeoutMilliseconds of CommercePolicy.Commands.psd1) completes nothing
    and is not cached.
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.CompletionResult])]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateSet('PolicyId', 'ProductId', 'OfferType', 'SubscriptionId')]
        [string]
        $Kind,

        [Parameter()]
        [AllowEmptyString()]
        [string]
        $WordToComplete = '',

        [Parameter()]
        [System.Collections.IDictionary]
        $FakeBoundParameters = @{}
    )

    $policyId = 'AllowSelfServicePurchase'
    if ($null -ne $FakeBoundParameters -and $FakeBoundParameters.Contains('PolicyId') -and $FakeBoundParameters['PolicyId'] -is [string]) {
        $policyId = $FakeBoundParameters['PolicyId']
    }
    $key = '{0}|{1}|{2}|{3}' -f $script:Session.Endpoint, $env:COMMERCE_POLICY_ENDPOINT, $Kind, $policyId

    $choices = $script:CompletionCache[$key]
    if ($null -eq $choices) {
        $choices = @(Get-CommercePolicyChoice -Cmdlet $PSCmdlet -Kind $Kind -PolicyId $policyId)
        if ($choices.Count -gt 0) {
            $script:CompletionCache[$key] = $choices
        }
    }

    $word = [System.Management.Automation.WildcardPattern]::Escape($WordToComplete.Trim([char[]] @([char] 39, [char] 34)))
    foreach ($choice in $choices) {
        $name = [string] $choice.Name
        $matchesName = $Kind -ne 'PolicyId' -and $name -like ('*{0}*' -f $word)
        if ($choice.Id -like ('{0}*' -f $word) -or $matchesName) {
            $listItem = $choice.Id
            $toolTip = $choice.Id
            if ($name.Length -gt 0) {
                $listItem = '{0} ({1})' -f $choice.Id, $name
                $toolTip = $name
            }
            New-Object System.Management.Automation.CompletionResult -ArgumentList @(
                $choice.Id, $listItem, [System.Management.Automation.CompletionResultType]::ParameterValue, $toolTip)
        }
    }
}

function Get-CommercePolicyChoice {
    <#
    .SYNOPSIS
    The ids (and names) the service lists for a kind of completion, as @{ Id; Name }; none when
    the call fails or takes longer than the completion timeout.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet]
        $Cmdlet,

        [Parameter(Mandatory = $true)]
        [string]
        $Kind,

        [Parameter(Mandatory = $true)]
        [string]
        $PolicyId
    )

    $ask = @{
        Cmdlet              = $Cmdlet
        CommandName         = 'Get-MSCommerceProductPolicies'
        Parameters          = @{ PolicyId = $PolicyId }
        TimeoutMilliseconds = $script:ModuleData.CompletionTimeoutMilliseconds
        ErrorAction         = 'Ignore'
        WarningAction       = 'Ignore'
        InformationAction   = 'Ignore'
        Verbose             = $false
    }
    $idName = 'ProductId'
    $nameName = 'ProductName'
    if ($Kind -eq 'PolicyId') {
        $ask.CommandName = 'Get-MSCommercePolicies'
        $ask.Parameters = @{}
        $idName = 'PolicyId'
        $nameName = 'Description'
    }
    elseif ($Kind -eq 'SubscriptionId') {
        # The active subscriptions, self-service and central (the targets of a move).
        $ask.CommandName = 'Get-CommerceSelfServiceSubscription'
        $ask.Parameters = @{ Status = 'Active' }
        $idName = 'SubscriptionId'
        $nameName = 'ProductName'
    }
    elseif ($Kind -eq 'OfferType') {
        $ask.Parameters.Scope = 'OfferType'
        $idName = 'ScopeId'
        $nameName = 'ScopeValue'
    }
    try {
        foreach ($item in @(Invoke-CommercePolicyCommand @ask)) {
            if ($null -ne $item -and $null -ne $item.PSObject.Properties[$idName]) {
                $name = $item.$nameName
                if ($Kind -eq 'SubscriptionId' -and -not [string]::IsNullOrEmpty($item.Purchaser)) {
                    $name = '{0}, bought by {1}' -f $name, $item.Purchaser
                }
                @{ Id = $item.$idName; Name = $name }
            }
        }
    }
    catch {
        Write-Debug ('completion failed: {0}' -f $_.Exception.Message)
    }
}
