# Tab completion of -PolicyId, -ProductId and -OfferType from what the service lists, through
# the public cmdlets (so the binary is asked exactly as for any other call).

function Get-CommercePolicyCompletion {
    <#
    .SYNOPSIS
    Completion results for a policy id, a product id or an offer type, with names as tooltips.

    .DESCRIPTION
    Product ids and offer types match on the id's start or anywhere in the name, so that
    'Visio' completes to the Visio products' ids. Answers are cached per endpoint and policy
    until Connect-MSCommerce, Disconnect-MSCommerce or Update-MSCommerceProductPolicy; a failed
    call completes nothing and is not cached.
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.CompletionResult])]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateSet('PolicyId', 'ProductId', 'OfferType')]
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
        try {
            if ($Kind -eq 'PolicyId') {
                $choices = @(Get-MSCommercePolicies -ErrorAction Stop | ForEach-Object {
                        @{ Id = $_.PolicyId; Name = $_.Description }
                    })
            }
            elseif ($Kind -eq 'ProductId') {
                $choices = @(Get-MSCommerceProductPolicies -PolicyId $policyId -ErrorAction Stop | ForEach-Object {
                        @{ Id = $_.ProductId; Name = $_.ProductName }
                    })
            }
            else {
                $choices = @(Get-MSCommerceProductPolicies -PolicyId $policyId -Scope 'OfferType' -ErrorAction Stop | ForEach-Object {
                        @{ Id = $_.ScopeId; Name = $_.ScopeValue }
                    })
            }
            $script:CompletionCache[$key] = $choices
        }
        catch {
            $choices = @()
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
