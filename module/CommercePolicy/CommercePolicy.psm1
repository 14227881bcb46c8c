# CommercePolicy: MSCommerce's cmdlets over the commerce-policy binary.
#
# The binary owns all logic (HTTP, sign-in, retries, validation, batching). This module binds
# parameters, runs the binary's subcommand with --output json, and turns its answer into typed
# objects and error records. Every cmdlet is the same small shape: one entry in the command
# table below, and one call to the shared Invoke-CommercePolicyCommand (Private/).
#
# This file defines the public cmdlets only; FunctionsToExport in the manifest lists exactly
# them. Helpers live in Private/ and are dot-sourced here.

$script:ModuleRoot = $PSScriptRoot

foreach ($privateScript in (Get-ChildItem -Path (Join-Path $PSScriptRoot 'Private') -Filter '*.ps1')) {
    . $privateScript.FullName
}

# The one table of this module: each cmdlet, the binary's subcommand behind it, the type name
# given to the objects it prints, and how each cmdlet parameter reaches the binary:
#   Flag        the binary's long flag; the value follows it ('--policy-id X'); repeated per item
#   Positional  the value goes last, after '--', as the binary's positional argument of that id
#   Env         the value goes in this environment variable of the child process only (secrets
#               never go on a command line); Flag then names the flag the variable stands for
#   Stdin       the values go to the binary's standard input, one per line, and the flag gets '-'
#   Switch      the flag alone, when the parameter is present and true
#   Path        the value is a file path: resolved against PowerShell's current location before
#               it reaches the binary, whose working directory is the process's, not that location
#   Unmapped    accepted for MSCommerce compatibility, given to nothing yet (the reason)
# An entry's Output is 'Objects' (the default: JSON converted to objects of TypeName, or of
# ScopeTypeName when they carry Scope properties) or 'Text' (the binary's output as it is). A result
# that failed (it has an ExitCode) is written as an error record in place of the object; with
# KeepFailed, as an error record and also as the object, so that a report lists every product.
# The contract test (tests/tests/module_contract.rs) checks every entry against the binary's own
# command tree (commerce-policy describe-cli) and against the functions' param blocks.
$script:CommandTable = @{
    'Connect-MSCommerce'            = @{
        # No sign-in subcommand yet: the connection is checked by listing the policies.
        Command    = @('policies', 'list')
        TypeName   = 'CommercePolicy.Policy'
        Parameters = @{
            Endpoint    = @{ Flag = '--endpoint' }
            AccessToken = @{ Flag = '--access-token'; Env = 'COMMERCE_POLICY_ACCESS_TOKEN' }
            ClientId    = @{ Unmapped = 'MSCommerce compatibility: kept for commerce-policy connect --client-id' }
            RedirectUri = @{ Unmapped = 'MSCommerce compatibility: interactive sign-in is not in the binary yet' }
            Resource    = @{ Unmapped = 'MSCommerce compatibility: the binary asks for the licensing scope itself' }
        }
    }
    'Disconnect-MSCommerce'         = @{
        Command    = @()
        TypeName   = ''
        Parameters = @{}
    }
    'Get-MSCommercePolicies'        = @{
        Command    = @('policies', 'list')
        TypeName   = 'CommercePolicy.Policy'
        Parameters = @{
            Token = @{ Flag = '--access-token'; Env = 'COMMERCE_POLICY_ACCESS_TOKEN' }
        }
    }
    'Get-MSCommercePolicy'          = @{
        Command    = @('policies', 'get')
        TypeName   = 'CommercePolicy.Policy'
        Parameters = @{
            PolicyId = @{ Positional = 'policy_id' }
            Token    = @{ Flag = '--access-token'; Env = 'COMMERCE_POLICY_ACCESS_TOKEN' }
        }
    }
    'Get-MSCommerceProductPolicies' = @{
        Command       = @('product-policies', 'list')
        TypeName      = 'CommercePolicy.ProductPolicy'
        ScopeTypeName = 'CommercePolicy.ScopePolicy'
        Parameters    = @{
            PolicyId = @{ Flag = '--policy-id' }
            Scope    = @{ Flag = '--scope' }
            Token    = @{ Flag = '--access-token'; Env = 'COMMERCE_POLICY_ACCESS_TOKEN' }
        }
    }
    'Get-MSCommerceProductPolicy'   = @{
        Command       = @('product-policies', 'get')
        TypeName      = 'CommercePolicy.ProductPolicy'
        ScopeTypeName = 'CommercePolicy.ScopePolicy'
        Parameters    = @{
            PolicyId  = @{ Flag = '--policy-id' }
            ProductId = @{ Flag = '--product-id' }
            OfferType = @{ Flag = '--offer-type' }
            Token     = @{ Flag = '--access-token'; Env = 'COMMERCE_POLICY_ACCESS_TOKEN' }
        }
    }
    'Update-MSCommerceProductPolicy' = @{
        Command       = @('product-policies', 'update')
        TypeName      = 'CommercePolicy.ProductPolicyUpdate'
        ScopeTypeName = 'CommercePolicy.ScopePolicyUpdate'
        Parameters    = @{
            PolicyId  = @{ Flag = '--policy-id' }
            ProductId = @{ Flag = '--product-id'; Stdin = $true }
            OfferType = @{ Flag = '--offer-type' }
            Enabled   = @{ Flag = '--enabled' }
            Value     = @{ Flag = '--value' }
            Token     = @{ Flag = '--access-token'; Env = 'COMMERCE_POLICY_ACCESS_TOKEN' }
            WhatIf    = @{ Flag = '--what-if'; Switch = $true }
        }
    }
    'Test-CommercePolicyBaseline'    = @{
        Command    = @('plan')
        TypeName   = 'CommercePolicy.BaselineDrift'
        Parameters = @{
            Path                 = @{ Flag = '--file'; Path = $true }
            AllowUnknownProducts = @{ Flag = '--allow-unknown-products'; Switch = $true }
            # -Quiet answers from the exit code: 0 when the service matches, 8 when it differs.
            Quiet                = @{ Flag = '--detailed-exitcode'; Switch = $true }
        }
    }
    'Invoke-CommercePolicyBaseline'  = @{
        # The results of apply are the update results of product-policies update.
        Command    = @('apply')
        TypeName   = 'CommercePolicy.ProductPolicyUpdate'
        KeepFailed = $true
        Parameters = @{
            Path                 = @{ Flag = '--file'; Path = $true }
            PlanPath             = @{ Flag = '--plan'; Path = $true }
            AllowUnknownProducts = @{ Flag = '--allow-unknown-products'; Switch = $true }
            Concurrency          = @{ Flag = '--concurrency' }
            WhatIf               = @{ Flag = '--what-if'; Switch = $true }
        }
    }
    'Export-CommercePolicyBaseline'  = @{
        Command    = @('export')
        TypeName   = ''
        Output     = 'Text'
        Parameters = @{
            PolicyId = @{ Flag = '--policy-id' }
            Default  = @{ Flag = '--default' }
            Path     = @{ Flag = '--out'; Path = $true }
        }
    }
}

# Flags added to every call: the module always asks for JSON, and -Verbose asks the binary to
# log its requests (with their correlation ids) on stderr.
$script:InvariantFlags = @{
    Output  = @('--output', 'json')
    Verbose = @('--verbose')
}

# The binary's exit codes (DESIGN.md) as error records.
$script:ExitCodeErrors = @{
    1 = @{ ErrorId = 'CommercePolicyFailed'; Category = 'NotSpecified' }
    2 = @{ ErrorId = 'CommercePolicyBadRequest'; Category = 'InvalidArgument' }
    3 = @{ ErrorId = 'CommercePolicyNotSignedIn'; Category = 'AuthenticationError' }
    4 = @{ ErrorId = 'CommercePolicyForbidden'; Category = 'PermissionDenied' }
    5 = @{ ErrorId = 'CommercePolicyNotFound'; Category = 'ObjectNotFound' }
    6 = @{ ErrorId = 'CommercePolicyConflict'; Category = 'ResourceBusy' }
    7 = @{ ErrorId = 'CommercePolicyUnavailable'; Category = 'ConnectionError' }
}

# The binary's exit code when the service differs from a baseline (plan --detailed-exitcode):
# an answer, not an error.
$script:DriftExitCode = 8

# What Connect-MSCommerce keeps for this session (MSCommerce kept its token in a session
# variable); Invoke-CommercePolicyCommand applies Endpoint and AccessToken to every call
# through the Connect-MSCommerce entry of the command table.
$script:Session = @{}

# Product and policy ids for tab completion, per endpoint and policy; cleared by Connect,
# Disconnect and Update.
$script:CompletionCache = @{}

function Connect-MSCommerce {
    <#
    .SYNOPSIS
    Chooses the service and the access token that the other cmdlets of this session use.

    .DESCRIPTION
    Keeps -Endpoint and -AccessToken for this PowerShell session and applies them to every later
    cmdlet, as MSCommerce kept its token in a session variable. The connection is checked by
    listing the policies (commerce-policy policies list); a failure is reported as an error
    record, and the settings are still kept so that later cmdlets fail the same way instead of
    silently using another service.

    Interactive, device-code, secret, certificate, managed-identity and federated sign-in come
    with the binary's 'commerce-policy connect'; until then Connect-MSCommerce needs -AccessToken
    or -Endpoint and says so when given neither. Without any Connect-MSCommerce, the cmdlets use
    the binary's default endpoint ($env:COMMERCE_POLICY_ENDPOINT, else the embedded local store).

    .PARAMETER Endpoint
    Where to send requests: 'microsoft' (https://licensing.m365.microsoft.com), 'local' (the
    embedded store in your data folder), or the URL of a 'commerce-policy serve'. With
    -AccessToken alone, 'microsoft'.

    .PARAMETER AccessToken
    A bearer token for the licensing service (resource aeb86249-8ea3-49e2-900b-54cc8e308f85).
    It reaches the binary through the COMMERCE_POLICY_ACCESS_TOKEN environment variable of the
    child process, never on a command line.

    .PARAMETER ClientId
    MSCommerce's public client id. Accepted so that existing scripts bind; it takes effect once
    the binary signs in by itself.

    .PARAMETER RedirectUri
    MSCommerce's redirect URI for interactive sign-in. Accepted so that existing scripts bind;
    not used.

    .PARAMETER Resource
    MSCommerce's scope. Accepted so that existing scripts bind; the binary asks for the
    licensing scope itself.

    .EXAMPLE
    Connect-MSCommerce -AccessToken $token

    Uses Microsoft's licensing service with a token for resource
    aeb86249-8ea3-49e2-900b-54cc8e308f85 obtained elsewhere (an app registration with
    Policy.ReadWrite.AllowSelfServicePurchase, or Get-AzAccessToken).

    .EXAMPLE
    Connect-MSCommerce -Endpoint http://127.0.0.1:8080

    Sends every later cmdlet to a commerce-policy service, such as a CI sandbox.

    .EXAMPLE
    Connect-MSCommerce -Endpoint local

    Uses the embedded local store: every cmdlet works with no tenant.

    .OUTPUTS
    None.

    .NOTES
    Binary: commerce-policy policies list (to check the connection), with --endpoint and the
    COMMERCE_POLICY_ACCESS_TOKEN environment variable.

    .LINK
    Disconnect-MSCommerce
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param(
        [Parameter()]
        [string]
        $ClientId = '3d5cffa9-04da-4657-8cab-c7f074657cad',

        [Parameter()]
        [Uri]
        $RedirectUri = [Uri] 'http://localhost/m365/commerce',

        [Parameter()]
        [string]
        $Resource = 'aeb86249-8ea3-49e2-900b-54cc8e308f85/.default',

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $Endpoint,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $AccessToken
    )

    if (-not $PSBoundParameters.ContainsKey('Endpoint') -and -not $PSBoundParameters.ContainsKey('AccessToken')) {
        $message = 'Connect-MSCommerce cannot sign in by itself yet: pass -AccessToken with a token for ' +
            'the licensing service (resource aeb86249-8ea3-49e2-900b-54cc8e308f85), or -Endpoint with ' +
            "'local' or the URL of a commerce-policy service."
        $exception = New-Object System.NotSupportedException -ArgumentList $message
        $record = New-Object System.Management.Automation.ErrorRecord -ArgumentList @(
            $exception, 'CommercePolicySignInNotAvailable', [System.Management.Automation.ErrorCategory]::NotImplemented, $null)
        $PSCmdlet.ThrowTerminatingError($record)
    }

    $session = @{
        ClientId    = $ClientId
        RedirectUri = $RedirectUri
        Resource    = $Resource
    }
    if ($PSBoundParameters.ContainsKey('Endpoint')) {
        $session.Endpoint = $Endpoint
    }
    else {
        $session.Endpoint = 'microsoft'
    }
    if ($PSBoundParameters.ContainsKey('AccessToken')) {
        $session.AccessToken = $AccessToken
    }
    $script:Session = $session
    $script:CompletionCache = @{}

    $policies = Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Connect-MSCommerce' -Parameters @{}
    if ($null -ne $policies) {
        Write-Verbose ("Connected to {0}: {1} policies" -f $session.Endpoint, @($policies).Count)
    }
}

function Disconnect-MSCommerce {
    <#
    .SYNOPSIS
    Forgets the endpoint and access token that Connect-MSCommerce kept for this session.

    .DESCRIPTION
    After Disconnect-MSCommerce the cmdlets use the binary's default endpoint again
    ($env:COMMERCE_POLICY_ENDPOINT, else the embedded local store) and send no token of the
    module's own.

    .EXAMPLE
    Disconnect-MSCommerce

    .OUTPUTS
    None.

    .NOTES
    Binary: none yet; 'commerce-policy disconnect' will also forget a cached sign-in.

    .LINK
    Connect-MSCommerce
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param(
    )

    $script:Session = @{}
    $script:CompletionCache = @{}
    Write-Verbose 'Disconnected: the binary default endpoint applies again'
}

function Get-MSCommercePolicies {
    <#
    .SYNOPSIS
    Lists the commerce policies, such as AllowSelfServicePurchase.

    .DESCRIPTION
    Prints one CommercePolicy.Policy object per policy, with MSCommerce's properties PolicyId,
    Description and DefaultValue.

    .PARAMETER Token
    A bearer token for this call only; it overrides the one given to Connect-MSCommerce. Passed
    to the binary in the COMMERCE_POLICY_ACCESS_TOKEN environment variable.

    .EXAMPLE
    Get-MSCommercePolicies

    .EXAMPLE
    Get-MSCommercePolicies | Get-MSCommerceProductPolicies

    Lists every product of every policy.

    .OUTPUTS
    CommercePolicy.Policy

    .NOTES
    Binary: commerce-policy policies list --output json

    .LINK
    Get-MSCommercePolicy
    #>
    [CmdletBinding()]
    [OutputType('CommercePolicy.Policy')]
    param(
        [Parameter()]
        [string]
        $Token
    )

    Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Get-MSCommercePolicies' -Parameters $PSBoundParameters
}

function Get-MSCommercePolicy {
    <#
    .SYNOPSIS
    Reads one commerce policy.

    .DESCRIPTION
    Prints a CommercePolicy.Policy object (PolicyId, Description, DefaultValue). A policy the
    service does not know is an ObjectNotFound error.

    .PARAMETER PolicyId
    The policy, like AllowSelfServicePurchase. Tab completion lists the service's policies.

    .PARAMETER Token
    A bearer token for this call only; it overrides the one given to Connect-MSCommerce.

    .EXAMPLE
    Get-MSCommercePolicy -PolicyId AllowSelfServicePurchase

    .EXAMPLE
    Get-MSCommercePolicy -PolicyId NoSuchPolicy -ErrorAction Stop

    Stops with an ObjectNotFound error whose message is the binary's one line, with the
    correlation id of the request.

    .OUTPUTS
    CommercePolicy.Policy

    .NOTES
    Binary: commerce-policy policies get <policy-id> --output json

    .LINK
    Get-MSCommercePolicies
    #>
    [CmdletBinding()]
    [OutputType('CommercePolicy.Policy')]
    param(
        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $PolicyId,

        [Parameter()]
        [string]
        $Token
    )

    process {
        Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Get-MSCommercePolicy' -Parameters $PSBoundParameters -TargetObject $PolicyId
    }
}

function Get-MSCommerceProductPolicies {
    <#
    .SYNOPSIS
    Lists a policy's value for every product, or for every offer type.

    .DESCRIPTION
    With the default scope (product) it prints CommercePolicy.ProductPolicy objects with
    MSCommerce's properties PolicyId, PolicyValue, ProductName and ProductId. With -Scope
    OfferType it prints CommercePolicy.ScopePolicy objects with PolicyId, PolicyValue, Scope,
    ScopeId and ScopeValue. The objects can be piped into Update-MSCommerceProductPolicy.

    .PARAMETER PolicyId
    The policy, like AllowSelfServicePurchase.

    .PARAMETER Scope
    'product' (the default) or 'OfferType' for third-party offer types.

    .PARAMETER Token
    A bearer token for this call only; it overrides the one given to Connect-MSCommerce.

    .EXAMPLE
    Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase

    .EXAMPLE
    Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase -Scope OfferType

    .EXAMPLE
    $product = Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase | Where-Object { $_.ProductName -match 'Power Automate per user' }

    Finds a product by name, as in Microsoft's documentation; $product.ProductID works too.

    .EXAMPLE
    Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase | Where-Object PolicyValue -eq Enabled | Update-MSCommerceProductPolicy -Value Disabled

    Disables every product that is enabled, in one call of the binary.

    .OUTPUTS
    CommercePolicy.ProductPolicy, CommercePolicy.ScopePolicy

    .NOTES
    Binary: commerce-policy product-policies list --policy-id <id> [--scope <scope>] --output json

    .LINK
    Update-MSCommerceProductPolicy
    #>
    [CmdletBinding()]
    [OutputType('CommercePolicy.ProductPolicy', 'CommercePolicy.ScopePolicy')]
    param(
        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $PolicyId,

        [Parameter()]
        [string]
        $Scope,

        [Parameter()]
        [string]
        $Token
    )

    process {
        $parameters = @{ PolicyId = $PolicyId }
        # MSCommerce treats an empty -Scope as the default scope.
        if (-not [string]::IsNullOrWhiteSpace($Scope)) {
            $parameters.Scope = $Scope
        }
        if ($PSBoundParameters.ContainsKey('Token')) {
            $parameters.Token = $Token
        }
        Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Get-MSCommerceProductPolicies' -Parameters $parameters -TargetObject $PolicyId
    }
}

function Get-MSCommerceProductPolicy {
    <#
    .SYNOPSIS
    Reads a policy's value for one product or one offer type.

    .DESCRIPTION
    With -ProductId it prints a CommercePolicy.ProductPolicy object (PolicyId, PolicyValue,
    ProductName, ProductId); former product ids are accepted and answered with the current one.
    With -OfferType it prints a CommercePolicy.ScopePolicy object (PolicyId, PolicyValue, Scope,
    ScopeId, ScopeValue).

    .PARAMETER PolicyId
    The policy, like AllowSelfServicePurchase.

    .PARAMETER ProductId
    The product, like CFQ7TTC0H9MP. Tab completion lists the products with their names as
    tooltips, and also matches on the name.

    .PARAMETER OfferType
    The offer type, like SaaS, POWERBIVISUALS, DYNAMICSCE or DYNAMICSBC.

    .PARAMETER Token
    A bearer token for this call only; it overrides the one given to Connect-MSCommerce.

    .EXAMPLE
    Get-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId CFQ7TTC0KP0N

    .EXAMPLE
    Get-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -OfferType SaaS

    .OUTPUTS
    CommercePolicy.ProductPolicy, CommercePolicy.ScopePolicy

    .NOTES
    Binary: commerce-policy product-policies get --policy-id <id> (--product-id <id> | --offer-type <type>) --output json

    .LINK
    Get-MSCommerceProductPolicies
    #>
    [CmdletBinding(DefaultParameterSetName = 'Product')]
    [OutputType('CommercePolicy.ProductPolicy', 'CommercePolicy.ScopePolicy')]
    param(
        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $PolicyId,

        [Parameter(Mandatory = $true, ParameterSetName = 'Product', ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $ProductId,

        [Parameter(Mandatory = $true, ParameterSetName = 'OfferType')]
        [ValidateNotNullOrEmpty()]
        [string]
        $OfferType,

        [Parameter()]
        [string]
        $Token
    )

    process {
        $target = $ProductId
        if ($PSCmdlet.ParameterSetName -eq 'OfferType') {
            $target = $OfferType
        }
        Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Get-MSCommerceProductPolicy' -Parameters $PSBoundParameters -TargetObject $target
    }
}

function Update-MSCommerceProductPolicy {
    <#
    .SYNOPSIS
    Changes a policy's value for products or for an offer type.

    .DESCRIPTION
    Sets the policy to Enabled, Disabled or OnlyTrialsWithoutPaymentMethod (-Value), or to
    Enabled or Disabled (-Enabled $true / $false, also 'True' / 'False').

    Products can be piped in: objects with PolicyId and ProductId properties, such as the output
    of Get-MSCommerceProductPolicies, bind by property name. The cmdlet collects them and calls
    the binary once, with every product id on its standard input; the binary changes them
    concurrently, with retries. -ProductId also takes several ids.

    -WhatIf asks the binary what would change (commerce-policy product-policies update
    --what-if) and shows each product's current and wanted value, changing nothing; a value the
    binary knows the service would refuse (OnlyTrialsWithoutPaymentMethod for a product without
    such a trial) is an InvalidArgument error record instead of a "What if:" line. -Confirm asks
    per product. Each product that could not be changed is a separate error record, with the
    category of its failure (ObjectNotFound, InvalidArgument, PermissionDenied, ...); the others
    are changed and printed.

    Prints one CommercePolicy.ProductPolicyUpdate object per product: ProductName, ProductId,
    PolicyId, PolicyValue (the value now), PreviousValue, Status (Updated or Unchanged) and
    CorrelationId. For an offer type it prints a CommercePolicy.ScopePolicyUpdate object: Scope,
    ScopeId, ScopeValue, PreviousValue, PolicyValue, Status, PolicyId and CorrelationId.

    .PARAMETER PolicyId
    The policy, like AllowSelfServicePurchase.

    .PARAMETER ProductId
    One or more products, like CFQ7TTC0H9MP. Tab completion lists the products with their names
    as tooltips.

    .PARAMETER OfferType
    An offer type, like SaaS.

    .PARAMETER Enabled
    $true (or 'True') for Enabled, $false (or 'False') for Disabled.

    .PARAMETER Value
    Enabled, Disabled, or OnlyTrialsWithoutPaymentMethod (only for products that offer trials).

    .PARAMETER Token
    A bearer token for this call only; it overrides the one given to Connect-MSCommerce.

    .EXAMPLE
    Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId CFQ7TTC0KP0N -Value "Disabled"

    .EXAMPLE
    Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId CFQ7TTC0KP0N -Enabled $false

    .EXAMPLE
    Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -OfferType SaaS -Value "Disabled"

    .EXAMPLE
    Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase | Where-Object PolicyValue -eq Enabled | Update-MSCommerceProductPolicy -Value Disabled

    Disables every enabled product with one call of the binary.

    .EXAMPLE
    Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase | Update-MSCommerceProductPolicy -Value Disabled -WhatIf

    Shows, per product, the current value and what would change; changes nothing.

    .EXAMPLE
    Get-MSCommerceProductPolicies -PolicyId AllowSelfServicePurchase | ForEach-Object { Update-MSCommerceProductPolicy -PolicyId AllowSelfServicePurchase -ProductId $_.ProductID -Enabled $false }

    The loop that existing MSCommerce scripts use; it works unchanged (one call per product).

    .OUTPUTS
    CommercePolicy.ProductPolicyUpdate, CommercePolicy.ScopePolicyUpdate

    .NOTES
    Binary: commerce-policy product-policies update --policy-id <id> (--product-id - | --offer-type <type>) (--enabled <bool> | --value <value>) [--what-if] --output json

    .LINK
    Get-MSCommerceProductPolicies
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium', DefaultParameterSetName = 'ProductEnum')]
    [OutputType('CommercePolicy.ProductPolicyUpdate', 'CommercePolicy.ScopePolicyUpdate')]
    param(
        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $PolicyId,

        [Parameter(Mandatory = $true, ParameterSetName = 'ProductToggle', ValueFromPipelineByPropertyName = $true)]
        [Parameter(Mandatory = $true, ParameterSetName = 'ProductEnum', ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string[]]
        $ProductId,

        [Parameter(Mandatory = $true, ParameterSetName = 'OfferTypeToggle')]
        [Parameter(Mandatory = $true, ParameterSetName = 'OfferTypeEnum')]
        [string]
        $OfferType,

        [Parameter(Mandatory = $true, ParameterSetName = 'ProductToggle')]
        [Parameter(Mandatory = $true, ParameterSetName = 'OfferTypeToggle')]
        [ValidateSet('True', 'False')]
        [string]
        $Enabled,

        [Parameter(Mandatory = $true, ParameterSetName = 'ProductEnum')]
        [Parameter(Mandatory = $true, ParameterSetName = 'OfferTypeEnum')]
        [ValidateSet('Enabled', 'Disabled', 'OnlyTrialsWithoutPaymentMethod')]
        [string]
        $Value,

        [Parameter()]
        [string]
        $Token
    )

    begin {
        # Policy id -> the product ids piped for it, in order; one binary call per policy.
        $productsByPolicy = [ordered]@{}
    }

    process {
        if ($PSCmdlet.ParameterSetName -like 'Product*') {
            if (-not $productsByPolicy.Contains($PolicyId)) {
                $productsByPolicy[$PolicyId] = New-Object System.Collections.Generic.List[string]
            }
            foreach ($id in $ProductId) {
                $productsByPolicy[$PolicyId].Add($id)
            }
        }
    }

    end {
        $wanted = $Value
        if ($PSBoundParameters.ContainsKey('Enabled')) {
            $wanted = 'Disabled'
            if ($Enabled -eq 'True') {
                $wanted = 'Enabled'
            }
        }

        # One call of the binary per policy: an offer type, or every product piped for it.
        $batches = New-Object System.Collections.Generic.List[hashtable]
        if ($PSCmdlet.ParameterSetName -like 'OfferType*') {
            $batches.Add(@{ PolicyId = $PolicyId; Target = 'OfferType'; Ids = @($OfferType) })
        }
        else {
            foreach ($policy in $productsByPolicy.Keys) {
                $batches.Add(@{ PolicyId = $policy; Target = 'ProductId'; Ids = $productsByPolicy[$policy].ToArray() })
            }
        }

        foreach ($batch in $batches) {
            $parameters = @{ PolicyId = $batch.PolicyId }
            foreach ($name in @('Enabled', 'Value', 'Token')) {
                if ($PSBoundParameters.ContainsKey($name)) {
                    $parameters[$name] = $PSBoundParameters[$name]
                }
            }

            if ($WhatIfPreference) {
                # The binary reads the current values and says what would change; each product
                # gets its own "What if:" line, or an error record when the binary knows the
                # service would refuse the value; nothing is changed.
                $parameters[$batch.Target] = $batch.Ids
                Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Update-MSCommerceProductPolicy' -Parameters $parameters -TargetObject $batch.PolicyId -Preview
                continue
            }

            $approved = New-Object System.Collections.Generic.List[string]
            foreach ($id in $batch.Ids) {
                if ($PSCmdlet.ShouldProcess($id, ('Set {0} to {1}' -f $batch.PolicyId, $wanted))) {
                    $approved.Add($id)
                }
            }
            if ($approved.Count -eq 0) {
                continue
            }
            $parameters[$batch.Target] = $approved.ToArray()
            $script:CompletionCache = @{}
            Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Update-MSCommerceProductPolicy' -Parameters $parameters -TargetObject $batch.PolicyId
        }
    }
}

function Test-CommercePolicyBaseline {
    <#
    .SYNOPSIS
    Compares the service with a baseline file and returns what differs.

    .DESCRIPTION
    A baseline file (JSON, schema in docs/baseline.schema.json) names a policy's wanted value per
    product, and a default for every other product the service lists. Test-CommercePolicyBaseline
    asks the binary for the plan (commerce-policy plan) and returns one
    CommercePolicy.BaselineDrift object per product that differs: PolicyId, ProductId,
    ProductName, CurrentValue, WantedValue and Source (Pinned when the file names the product,
    Default when its default covers it). No objects means the service matches. Nothing is changed.

    With -Quiet it returns $true when the service matches the baseline and $false when it differs,
    like Test-Path; drift is never an error. When the comparison itself fails (a baseline error,
    such as a product id the service does not list, or an unreachable service), it writes an error
    record and returns no Boolean, with or without -Quiet.

    .PARAMETER Path
    The baseline file. Relative paths are relative to the current PowerShell location. Files can be
    piped in (Get-ChildItem output binds by its FullName).

    .PARAMETER AllowUnknownProducts
    Accept product ids in the file that the service does not list (they are skipped), instead of
    failing on what may be a typo.

    .PARAMETER Quiet
    Return $true when the service matches the baseline and $false when it differs, instead of the
    drift objects.

    .EXAMPLE
    Test-CommercePolicyBaseline -Path ./baseline.json

    Lists every product whose value differs from the baseline, with its current and wanted value.

    .EXAMPLE
    if (-not (Test-CommercePolicyBaseline -Path ./baseline.json -Quiet)) { throw 'The tenant drifted from its purchase policy' }

    Fails a pipeline on drift.

    .EXAMPLE
    Get-ChildItem ./baselines -Filter *.json | Test-CommercePolicyBaseline -Quiet

    One Boolean per baseline file.

    .OUTPUTS
    CommercePolicy.BaselineDrift, or System.Boolean with -Quiet

    .NOTES
    Binary: commerce-policy plan --file <path> [--allow-unknown-products] [--detailed-exitcode] --output json

    .LINK
    Invoke-CommercePolicyBaseline

    .LINK
    Export-CommercePolicyBaseline
    #>
    [CmdletBinding()]
    [OutputType('CommercePolicy.BaselineDrift', 'System.Boolean')]
    param(
        [Parameter(Mandatory = $true, ValueFromPipelineByPropertyName = $true)]
        [Alias('FullName')]
        [ValidateNotNullOrEmpty()]
        [string]
        $Path,

        [Parameter()]
        [switch]
        $AllowUnknownProducts,

        [Parameter()]
        [switch]
        $Quiet
    )

    process {
        if (-not $Quiet) {
            Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Test-CommercePolicyBaseline' -Parameters $PSBoundParameters -TargetObject $Path
            return
        }
        $exitCode = $null
        $null = Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Test-CommercePolicyBaseline' -Parameters $PSBoundParameters -TargetObject $Path -ExitCode ([ref] $exitCode)
        if ($exitCode -eq 0) {
            $true
        }
        elseif ($exitCode -eq $script:DriftExitCode) {
            $false
        }
    }
}

function Invoke-CommercePolicyBaseline {
    <#
    .SYNOPSIS
    Makes the service match a baseline file, or carries out a saved plan.

    .DESCRIPTION
    Asks the binary to apply the baseline (commerce-policy apply): it reads the service, changes
    every product that differs from the file, concurrently, and with If-Match, so that a product
    someone else changed since it was read is reported as a conflict instead of overwritten.
    Running it twice changes nothing the second time.

    With -PlanPath it carries out a plan saved by 'commerce-policy plan --out' exactly; a product
    changed since the plan was made is a conflict.

    Prints one CommercePolicy.ProductPolicyUpdate object per product it touched: ProductName,
    ProductId, PreviousValue, PolicyValue, Status (Updated, Unchanged, Conflict or Failed),
    PolicyId, Error, CorrelationId and ExitCode. Each Conflict or Failed product is also an error
    record, with the product id as its target and the category of its failure (a conflict is
    ResourceBusy), so -ErrorAction applies; the other products are still changed.

    -WhatIf shows a "What if:" line per product that would change (commerce-policy apply
    --what-if), changing nothing. It changes many products at once, so ConfirmImpact is High: it
    asks before it starts unless -Confirm:$false is given (as pipelines do) or $ConfirmPreference
    is None.

    .PARAMETER Path
    The baseline file. Relative paths are relative to the current PowerShell location.

    .PARAMETER PlanPath
    A plan saved by 'commerce-policy plan --out', to carry out instead of planning anew.

    .PARAMETER AllowUnknownProducts
    Accept product ids in the file that the service does not list (they are skipped), instead of
    failing on what may be a typo.

    .PARAMETER Concurrency
    How many products the binary changes at once (1 to 256; the binary's default is 16).

    .EXAMPLE
    Invoke-CommercePolicyBaseline -Path ./baseline.json -WhatIf

    Shows what would change, product by product; changes nothing.

    .EXAMPLE
    Invoke-CommercePolicyBaseline -Path ./baseline.json -Confirm:$false

    Makes the service match the baseline without asking, as a pipeline would.

    .EXAMPLE
    $results = Invoke-CommercePolicyBaseline -Path ./baseline.json -Confirm:$false -ErrorAction Continue -ErrorVariable failures

    Keeps every product's result for a report, and the conflicting or failed ones in $failures.

    .EXAMPLE
    Invoke-CommercePolicyBaseline -PlanPath ./plan.json -Confirm:$false

    Carries out a plan saved by 'commerce-policy plan -f baseline.json --out plan.json', exactly as
    it was reviewed.

    .OUTPUTS
    CommercePolicy.ProductPolicyUpdate

    .NOTES
    Binary: commerce-policy apply (--file <path> [--allow-unknown-products] | --plan <path>) [--concurrency <n>] [--what-if] --output json

    .LINK
    Test-CommercePolicyBaseline

    .LINK
    Export-CommercePolicyBaseline
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High', DefaultParameterSetName = 'Baseline')]
    [OutputType('CommercePolicy.ProductPolicyUpdate')]
    param(
        [Parameter(Mandatory = $true, ParameterSetName = 'Baseline', ValueFromPipelineByPropertyName = $true)]
        [Alias('FullName')]
        [ValidateNotNullOrEmpty()]
        [string]
        $Path,

        [Parameter(Mandatory = $true, ParameterSetName = 'SavedPlan')]
        [ValidateNotNullOrEmpty()]
        [string]
        $PlanPath,

        [Parameter(ParameterSetName = 'Baseline')]
        [switch]
        $AllowUnknownProducts,

        [Parameter()]
        [ValidateRange(1, 256)]
        [int]
        $Concurrency
    )

    process {
        $target = $Path
        $action = 'Change every product that differs from the baseline'
        if ($PSCmdlet.ParameterSetName -eq 'SavedPlan') {
            $target = $PlanPath
            $action = 'Carry out the saved plan'
        }

        if ($WhatIfPreference) {
            Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Invoke-CommercePolicyBaseline' -Parameters $PSBoundParameters -TargetObject $target -Preview
            return
        }
        if (-not $PSCmdlet.ShouldProcess($target, $action)) {
            return
        }
        $script:CompletionCache = @{}
        Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Invoke-CommercePolicyBaseline' -Parameters $PSBoundParameters -TargetObject $target
    }
}

function Export-CommercePolicyBaseline {
    <#
    .SYNOPSIS
    Writes the service's current values as a baseline file.

    .DESCRIPTION
    Asks the binary for the service's state as a baseline (commerce-policy export): per policy,
    the value of every product. With -Default, products that have that value are folded into the
    baseline's default instead of being pinned one by one, so products that appear later get it
    too. Test-CommercePolicyBaseline against the same state then finds no drift.

    With -Path it writes the file (UTF-8 without a byte order mark) and returns nothing;
    otherwise it returns the baseline as JSON text.

    .PARAMETER PolicyId
    Export only this policy, like AllowSelfServicePurchase (default: every policy).

    .PARAMETER Default
    Enabled, Disabled or OnlyTrialsWithoutPaymentMethod: fold every product with this value into
    the baseline's default.

    .PARAMETER Path
    The file to write. Relative paths are relative to the current PowerShell location; an existing
    file is replaced.

    .EXAMPLE
    Export-CommercePolicyBaseline -PolicyId AllowSelfServicePurchase -Default Disabled -Path ./baseline.json

    Starts a baseline from the tenant as it is: the disabled products become the default, the
    others are pinned.

    .EXAMPLE
    Export-CommercePolicyBaseline | ConvertFrom-Json

    Reads the current state as objects.

    .OUTPUTS
    System.String, or nothing with -Path

    .NOTES
    Binary: commerce-policy export [--policy-id <id>] [--default <value>] --output json; the
    module writes -Path itself, as the binary prints the baseline on its standard output.

    .LINK
    Test-CommercePolicyBaseline
    #>
    [CmdletBinding(SupportsShouldProcess = $true)]
    [OutputType([string])]
    param(
        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $PolicyId,

        [Parameter()]
        [ValidateSet('Enabled', 'Disabled', 'OnlyTrialsWithoutPaymentMethod')]
        [string]
        $Default,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $Path
    )

    if ($PSBoundParameters.ContainsKey('Path') -and -not $PSCmdlet.ShouldProcess($Path, 'Write the baseline')) {
        return
    }
    Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Export-CommercePolicyBaseline' -Parameters $PSBoundParameters -TargetObject $PolicyId
}

Register-ArgumentCompleter -CommandName @('Get-MSCommercePolicy', 'Get-MSCommerceProductPolicies', 'Get-MSCommerceProductPolicy', 'Update-MSCommerceProductPolicy', 'Export-CommercePolicyBaseline') -ParameterName 'PolicyId' -ScriptBlock {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    Get-CommercePolicyCompletion -Kind 'PolicyId' -WordToComplete $wordToComplete -FakeBoundParameters $fakeBoundParameters
}

Register-ArgumentCompleter -CommandName @('Get-MSCommerceProductPolicy', 'Update-MSCommerceProductPolicy') -ParameterName 'ProductId' -ScriptBlock {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    Get-CommercePolicyCompletion -Kind 'ProductId' -WordToComplete $wordToComplete -FakeBoundParameters $fakeBoundParameters
}

Register-ArgumentCompleter -CommandName @('Get-MSCommerceProductPolicy', 'Update-MSCommerceProductPolicy') -ParameterName 'OfferType' -ScriptBlock {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    Get-CommercePolicyCompletion -Kind 'OfferType' -WordToComplete $wordToComplete -FakeBoundParameters $fakeBoundParameters
}
