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
#               (the flag's own variable) or goes with (a password that its --help names). A
#               SecureString is converted only as the child process is started
#   SecretStdin the flag alone (a switch of the binary), and the value, a SecureString, written to
#               the binary's standard input, converted only at the moment it is written
#   Stdin       the values go to the binary's standard input, one per line, and the flag gets '-'
#   Switch      the flag alone, when the parameter is present and true
#   Interactive with Switch: when the flag is given, the binary talks to the person while it runs
#               (device code): its stderr is not captured but goes straight to the console
#   Path        the value is a file path: resolved against PowerShell's current location before
#               it reaches the binary, whose working directory is the process's, not that location
#   Unmapped    accepted, given to nothing (the reason): for MSCommerce compatibility, or handled
#               by the cmdlet itself
# An entry's Output is 'Objects' (the default: JSON converted to objects of TypeName, or of
# ScopeTypeName when they carry Scope properties) or 'Text' (the binary's output as it is). A result
# that failed (it has an ExitCode) is written as an error record in place of the object; with
# KeepFailed, as an error record and also as the object, so that a report lists every product.
# The contract test (tests/tests/e2e/module_*.rs) checks every entry against the binary's own
# command tree (commerce-policy describe-cli) and against the functions' param blocks.
$script:CommandTable = @{
    'Connect-MSCommerce'            = @{
        Command    = @('connect')
        TypeName   = 'CommercePolicy.Connection'
        Parameters = @{
            TenantId              = @{ Flag = '--tenant-id' }
            ClientId              = @{ Flag = '--client-id' }
            Resource              = @{ Flag = '--resource' }
            Environment           = @{ Flag = '--environment' }
            Endpoint              = @{ Flag = '--endpoint' }
            DeviceCode            = @{ Flag = '--device-code'; Switch = $true; Interactive = $true }
            ClientSecret          = @{ Flag = '--client-secret'; SecretStdin = $true }
            CertificatePath       = @{ Flag = '--certificate'; Path = $true }
            CertificatePassword   = @{ Flag = '--certificate'; Env = 'COMMERCE_POLICY_CERTIFICATE_PASSWORD' }
            ManagedIdentity       = @{ Flag = '--managed-identity'; Switch = $true }
            FederatedTokenFile    = @{ Flag = '--federated-token-file'; Path = $true }
            GitHubActions         = @{ Flag = '--federated-github'; Switch = $true }
            AccessToken           = @{ Flag = '--access-token'; Env = 'COMMERCE_POLICY_ACCESS_TOKEN' }
            RedirectUri           = @{ Unmapped = 'MSCommerce compatibility: its interactive browser sign-in; the binary signs a person in with a device code, which needs no redirect URI' }
            CertificateThumbprint = @{ Unmapped = 'the binary cannot read the Windows certificate store yet: the cmdlet stops and says to export the certificate to a PFX and use -CertificatePath' }
            PassThru              = @{ Unmapped = 'the cmdlet writes the connection object itself' }
        }
    }
    'Disconnect-MSCommerce'         = @{
        Command    = @('disconnect')
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
    # Ctrl-C stopped a batch: the results so far were printed, the rest marked NotAttempted.
    130 = @{ ErrorId = 'CommercePolicyInterrupted'; Category = 'OperationStopped' }
}

# The binary's exit code when the service differs from a baseline (plan --detailed-exitcode):
# an answer, not an error.
$script:DriftExitCode = 8

# What Connect-MSCommerce keeps for this session (MSCommerce kept its token in a session
# variable): only where requests go and a ready token, never a sign-in parameter (the binary
# remembers its connection itself). Invoke-CommercePolicyCommand applies it to every call with
# $script:SessionParameters, whose flags are global flags of the binary.
$script:Session = @{}
$script:SessionParameters = @{
    Endpoint    = @{ Flag = '--endpoint' }
    AccessToken = @{ Flag = '--access-token'; Env = 'COMMERCE_POLICY_ACCESS_TOKEN' }
}

# Parameters of Connect-MSCommerce's default set that ask for a sign-in even with -Endpoint:
# -Endpoint with none of them only chooses where the cmdlets go.
$script:SignInParameterNames = @('DeviceCode', 'TenantId', 'ClientId', 'Resource', 'Environment')

# Parameter sets of Connect-MSCommerce whose later cmdlets need no credential store: the binary
# signs in again from the identity or the token file, or the session keeps the token.
$script:RenewedWithoutStore = @('ManagedIdentity', 'FederatedToken', 'GitHubActions', 'AccessToken')

# Product and policy ids for tab completion, per endpoint and policy; cleared by Connect,
# Disconnect and Update.
$script:CompletionCache = @{}

function Connect-MSCommerce {
    <#
    .SYNOPSIS
    Signs in to a Microsoft 365 tenant (or chooses a commerce-policy service) for every later cmdlet.

    .DESCRIPTION
    Runs 'commerce-policy connect': the binary signs in to Entra ID with the flow the parameter set
    chooses, keeps the sign-in in the OS credential store (Windows Credential Manager, macOS
    Keychain, the Linux secret service or kernel keyring), saves the connection (tenant, cloud,
    client, flow, endpoint; no secrets) in its data folder, and sends every later command to that
    tenant. The binary remembers the connection itself, so it also holds for new PowerShell
    sessions and for the binary run on its own, until Disconnect-MSCommerce.

    The flows, one per parameter set:
    - DeviceCode (the default, also with no parameters at all, as MSCommerce was called): a
      person signs in on any device; the instruction ("To sign in, open URL and enter the code
      CODE") is written straight to the console while the binary waits.
    - ClientSecret, Certificate (a PEM or .pfx/.p12 file), FederatedToken (a token file, as in
      Kubernetes workload identity or a CI runner) and ManagedIdentity: an application signs in
      unattended.
    - AccessToken: a token obtained elsewhere.
    - CertificateThumbprint: a certificate of the Windows certificate store. The binary cannot
      read the store yet: the cmdlet stops with an error that says how to export it to a PFX.

    Secrets never reach a command line, a log or this PowerShell process's environment: -ClientSecret
    is written to the binary's standard input, -CertificatePassword and -AccessToken go into
    environment variables of the child process only, and a SecureString is converted only at
    that moment.

    With -Endpoint 'local' or the URL of a commerce-policy service, and none of -DeviceCode,
    -TenantId, -ClientId, -Resource or -Environment, nothing signs in: the cmdlets of this
    session go to that endpoint (a CI sandbox, say), and the connection is checked by listing
    the policies. A failed check is an error record; the endpoint is kept anyway, so that later
    cmdlets fail the same way instead of silently using another service.

    This PowerShell session keeps only an endpoint and an access token (of -Endpoint alone, or of
    -AccessToken with the endpoint the binary connected to) and applies them to every later
    cmdlet; sign-in parameters are given to 'connect' alone.

    Connect-MSCommerce writes nothing to the pipeline, as MSCommerce's did; -PassThru writes the
    connection (CommercePolicy.Connection: TenantId, Environment, Endpoint, Account, SignIn,
    ExpiresOn, CredentialStore), and -Verbose says where the cmdlets now go. When no credential
    store is usable on this machine, a warning says that later cmdlets cannot reuse the sign-in.

    .PARAMETER TenantId
    The tenant: its id or a domain like contoso.onmicrosoft.com. Needed to sign in as an
    application; a person may leave it out (the tenant of the account is used).

    .PARAMETER ClientId
    The application (client) id. Device code uses MSCommerce's public client when it is left
    out; with -ManagedIdentity it chooses a user-assigned identity.

    .PARAMETER RedirectUri
    MSCommerce's redirect URI for its interactive browser sign-in. Accepted so that existing
    scripts bind; the binary signs a person in with a device code instead, which needs none.

    .PARAMETER Resource
    The resource to ask tokens for; MSCommerce's scope form
    'aeb86249-8ea3-49e2-900b-54cc8e308f85/.default' works too. Default: the licensing service.

    .PARAMETER DeviceCode
    Sign in as a person with a device code. This is also what Connect-MSCommerce does with no
    sign-in parameter at all.

    .PARAMETER ClientSecret
    Sign in as the application -ClientId with this client secret, as a SecureString (from
    Read-Host -AsSecureString, Get-Secret of Microsoft.PowerShell.SecretManagement, or
    ConvertTo-SecureString). It reaches the binary on its standard input.

    .PARAMETER CertificatePath
    Sign in as the application -ClientId with a certificate: a PEM file holding the certificate
    and its private key, or a .pfx/.p12 file. Relative to the current PowerShell location.

    .PARAMETER CertificatePassword
    The password of a .pfx/.p12 file, as a SecureString. It reaches the binary in the
    COMMERCE_POLICY_CERTIFICATE_PASSWORD environment variable of the child process only.

    .PARAMETER CertificateThumbprint
    A certificate of the Windows certificate store. Not supported yet: export it with
    Export-PfxCertificate and use -CertificatePath and -CertificatePassword.

    .PARAMETER ManagedIdentity
    Sign in as the managed identity of this Azure resource (a VM, an Azure Automation account,
    a Function); with -ClientId, a user-assigned identity.

    .PARAMETER FederatedTokenFile
    Sign in as the application -ClientId with a federated token read from this file for every
    token: Kubernetes workload identity ($env:AZURE_FEDERATED_TOKEN_FILE) or a CI runner's
    OpenID Connect token. Relative to the current PowerShell location.

    .PARAMETER GitHubActions
    Sign in as the application -ClientId with GitHub Actions' OpenID Connect token, asked for
    afresh whenever a token is needed (the job needs permissions: id-token: write, and the app
    registration a federated credential for the repository).

    .PARAMETER AccessToken
    A bearer token for the licensing service (resource aeb86249-8ea3-49e2-900b-54cc8e308f85)
    obtained elsewhere. It reaches the binary through the COMMERCE_POLICY_ACCESS_TOKEN
    environment variable of the child process, never on a command line, and this session sends
    it with every later cmdlet.

    .PARAMETER Environment
    The Microsoft cloud: worldwide (the default), usgov-high (GCC High), usgov-dod (DoD) or
    china (21Vianet); Azure's names AzureCloud, AzureUSGovernment and AzureChinaCloud work too.
    It chooses both the sign-in host and the licensing service.

    .PARAMETER Endpoint
    Where to send requests instead of the cloud's licensing service: the URL of a
    commerce-policy service, or 'local' (the embedded store in your data folder). Alone, it
    signs in to nothing (see the description).

    .PARAMETER PassThru
    Write the connection object to the pipeline.

    .EXAMPLE
    Connect-MSCommerce

    Signs a person in with a device code, as MSCommerce's Connect-MSCommerce signed in
    interactively: open the page shown on any device, enter the code, and sign in with a global
    or billing administrator account. The sign-in is kept and renewed by the binary.

    .EXAMPLE
    Connect-MSCommerce -TenantId contoso.onmicrosoft.com -ClientId $appId -ClientSecret (Read-Host -AsSecureString -Prompt 'Client secret')

    Signs in as an application with a client secret; the application needs the app permission
    Policy.ReadWrite.AllowSelfServicePurchase. From a vault instead:
    -ClientSecret (Get-Secret -Name CommercePolicyApp).

    .EXAMPLE
    Connect-MSCommerce -TenantId contoso.onmicrosoft.com -ClientId $appId -CertificatePath ./commerce-app.pfx -CertificatePassword (Read-Host -AsSecureString -Prompt 'PFX password')

    Signs in as an application with a certificate in a PFX file (a PEM file needs no password).

    .EXAMPLE
    Connect-MSCommerce -ManagedIdentity

    Signs in as the managed identity of the Azure VM, Automation account or Function this runs
    on; add -ClientId for a user-assigned identity.

    .EXAMPLE
    Connect-MSCommerce -TenantId $env:AZURE_TENANT_ID -ClientId $env:AZURE_CLIENT_ID -FederatedTokenFile $env:AZURE_FEDERATED_TOKEN_FILE

    Kubernetes (AKS workload identity): signs in with the service account token that the
    cluster projects into the pod and renews in that file.

    .EXAMPLE
    Connect-MSCommerce -TenantId $env:TENANT_ID -ClientId $env:CLIENT_ID -GitHubActions

    GitHub Actions (a job with permissions: id-token: write): signs in with the job's OpenID
    Connect token, for an app registration with a federated credential for the repository.

    .EXAMPLE
    Connect-MSCommerce -AccessToken $token

    Uses a token for resource aeb86249-8ea3-49e2-900b-54cc8e308f85 obtained elsewhere, such as
    (Get-AzAccessToken -ResourceUrl 'aeb86249-8ea3-49e2-900b-54cc8e308f85').Token.

    .EXAMPLE
    Connect-MSCommerce -Environment usgov-high -PassThru

    Signs a person in to a GCC High tenant with a device code, sends the cmdlets to the GCC
    High licensing service, and writes the connection.

    .EXAMPLE
    Connect-MSCommerce -Endpoint http://127.0.0.1:8080

    Sends every later cmdlet of this session to a commerce-policy service, such as a CI sandbox,
    without signing in.

    .EXAMPLE
    Connect-MSCommerce -Endpoint local

    Uses the embedded local store: every cmdlet works with no tenant.

    .OUTPUTS
    CommercePolicy.Connection, with -PassThru.

    .NOTES
    Binary: commerce-policy connect --output json, with --tenant-id, --client-id, --resource,
    --environment, --endpoint and one of --device-code, --client-secret (the secret on stdin),
    --certificate (password in COMMERCE_POLICY_CERTIFICATE_PASSWORD), --managed-identity,
    --federated-token-file, --federated-github, or COMMERCE_POLICY_ACCESS_TOKEN. -Endpoint alone: commerce-policy
    policies list, to check the endpoint.

    .LINK
    Disconnect-MSCommerce
    #>
    [CmdletBinding(DefaultParameterSetName = 'DeviceCode')]
    [OutputType('CommercePolicy.Connection')]
    param(
        [Parameter(ParameterSetName = 'DeviceCode')]
        [Parameter(Mandatory = $true, ParameterSetName = 'ClientSecret')]
        [Parameter(Mandatory = $true, ParameterSetName = 'Certificate')]
        [Parameter(Mandatory = $true, ParameterSetName = 'CertificateThumbprint')]
        [Parameter(ParameterSetName = 'ManagedIdentity')]
        [Parameter(Mandatory = $true, ParameterSetName = 'FederatedToken')]
        [Parameter(Mandatory = $true, ParameterSetName = 'GitHubActions')]
        [ValidateNotNullOrEmpty()]
        [string]
        $TenantId,

        [Parameter(ParameterSetName = 'DeviceCode')]
        [Parameter(Mandatory = $true, ParameterSetName = 'ClientSecret')]
        [Parameter(Mandatory = $true, ParameterSetName = 'Certificate')]
        [Parameter(Mandatory = $true, ParameterSetName = 'CertificateThumbprint')]
        [Parameter(ParameterSetName = 'ManagedIdentity')]
        [Parameter(Mandatory = $true, ParameterSetName = 'FederatedToken')]
        [Parameter(Mandatory = $true, ParameterSetName = 'GitHubActions')]
        [ValidateNotNullOrEmpty()]
        [string]
        $ClientId,

        [Parameter(ParameterSetName = 'DeviceCode')]
        [Uri]
        $RedirectUri,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $Resource,

        [Parameter(ParameterSetName = 'DeviceCode')]
        [switch]
        $DeviceCode,

        [Parameter(Mandatory = $true, ParameterSetName = 'ClientSecret')]
        [System.Security.SecureString]
        $ClientSecret,

        [Parameter(Mandatory = $true, ParameterSetName = 'Certificate')]
        [ValidateNotNullOrEmpty()]
        [string]
        $CertificatePath,

        [Parameter(ParameterSetName = 'Certificate')]
        [System.Security.SecureString]
        $CertificatePassword,

        [Parameter(Mandatory = $true, ParameterSetName = 'CertificateThumbprint')]
        [ValidateNotNullOrEmpty()]
        [string]
        $CertificateThumbprint,

        [Parameter(Mandatory = $true, ParameterSetName = 'ManagedIdentity')]
        [switch]
        $ManagedIdentity,

        [Parameter(Mandatory = $true, ParameterSetName = 'FederatedToken')]
        [ValidateNotNullOrEmpty()]
        [string]
        $FederatedTokenFile,

        [Parameter(Mandatory = $true, ParameterSetName = 'GitHubActions')]
        [switch]
        $GitHubActions,

        [Parameter(Mandatory = $true, ParameterSetName = 'AccessToken')]
        [ValidateNotNullOrEmpty()]
        [string]
        $AccessToken,

        [Parameter()]
        [ValidateSet('worldwide', 'usgov-high', 'usgov-dod', 'china', 'AzureCloud', 'AzureUSGovernment', 'AzureChinaCloud')]
        [string]
        $Environment,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string]
        $Endpoint,

        [Parameter()]
        [switch]
        $PassThru
    )

    if ($PSCmdlet.ParameterSetName -eq 'CertificateThumbprint') {
        $message = ('Connect-MSCommerce cannot read the Windows certificate store yet (thumbprint {0}). ' +
            'Export the certificate with its private key to a PFX file, for example ' +
            "Export-PfxCertificate -Cert Cert:\CurrentUser\My\{0} -FilePath commerce-app.pfx -Password `$password, " +
            'and connect with -CertificatePath commerce-app.pfx -CertificatePassword $password.') -f $CertificateThumbprint
        $exception = New-Object System.NotSupportedException -ArgumentList $message
        $record = New-Object System.Management.Automation.ErrorRecord -ArgumentList @(
            $exception, 'CommercePolicyCertificateStoreNotSupported', [System.Management.Automation.ErrorCategory]::NotImplemented, $CertificateThumbprint)
        $PSCmdlet.ThrowTerminatingError($record)
    }

    # A new connection starts from nothing: the previous session's endpoint and token must not
    # reach 'connect', nor the completion cache outlive it.
    $script:Session = @{}
    $script:CompletionCache = @{}

    # (A loop, not Where-Object: in its script block $PSBoundParameters would be its own, empty.)
    $signInNamed = $false
    foreach ($name in $script:SignInParameterNames) {
        if ($PSBoundParameters.ContainsKey($name)) {
            $signInNamed = $true
        }
    }
    if ($PSCmdlet.ParameterSetName -eq 'DeviceCode' -and $PSBoundParameters.ContainsKey('Endpoint') -and
        $Endpoint -ne 'microsoft' -and -not $signInNamed) {
        Connect-CommercePolicyEndpoint -Cmdlet $PSCmdlet -Endpoint $Endpoint -PassThru:$PassThru
        return
    }

    $parameters = @{}
    foreach ($name in $PSBoundParameters.Keys) {
        $parameters[$name] = $PSBoundParameters[$name]
    }
    if ($PSCmdlet.ParameterSetName -eq 'DeviceCode') {
        # Say so, so that the binary's instruction reaches the console while it waits.
        $parameters.DeviceCode = $true
    }
    $connection = Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Connect-MSCommerce' -Parameters $parameters
    if ($null -eq $connection) {
        # The binary refused or failed; its error record is written.
        return
    }
    if ($PSCmdlet.ParameterSetName -eq 'AccessToken') {
        # The token goes with every cmdlet of this session, and only to the endpoint it was given for.
        $script:Session = @{ Endpoint = $connection.Endpoint; AccessToken = $AccessToken }
    }

    $account = ''
    if ($null -ne $connection.Account) {
        $account = ' as {0}' -f $connection.Account
    }
    Write-Verbose ('Connected to tenant {0} ({1}, {2}){3} with {4}; the token is valid until {5}. Every cmdlet now goes there.' -f
        $connection.TenantId, $connection.Environment, $connection.Endpoint, $account, $connection.SignIn, $connection.ExpiresOn)
    if ($null -eq $connection.CredentialStore -and $script:RenewedWithoutStore -notcontains $PSCmdlet.ParameterSetName) {
        Write-Warning (('No credential store is usable on this machine, so the {0} sign-in was not kept: later cmdlets are not signed in. ' +
            'Use -AccessToken, -ManagedIdentity or -FederatedTokenFile here, or give the binary its secret in ' +
            'COMMERCE_POLICY_CLIENT_SECRET or COMMERCE_POLICY_CERTIFICATE_PASSWORD.') -f $connection.SignIn)
    }
    if ($PassThru) {
        $connection
    }
}

function Disconnect-MSCommerce {
    <#
    .SYNOPSIS
    Signs out: forgets the connection, its kept sign-in, and this session's endpoint and token.

    .DESCRIPTION
    Runs 'commerce-policy disconnect', which removes the tenant's tokens and secrets from the OS
    credential store and the saved connection from the data folder, and forgets the endpoint and
    token that Connect-MSCommerce kept for this PowerShell session. Afterwards the cmdlets use
    the binary's default endpoint again ($env:COMMERCE_POLICY_ENDPOINT, else the embedded local
    store). Disconnecting when not connected is not an error. -Verbose shows the binary's answer.

    .EXAMPLE
    Disconnect-MSCommerce

    .OUTPUTS
    None.

    .NOTES
    Binary: commerce-policy disconnect --output json

    .LINK
    Connect-MSCommerce
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param(
    )

    $script:Session = @{}
    $script:CompletionCache = @{}
    $answer = Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Disconnect-MSCommerce' -Parameters @{}
    if ($null -ne $answer) {
        Write-Verbose $answer.Message
    }
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
    ProductId, PreviousValue, PolicyValue, Status (Updated, Unchanged, Conflict, Failed, or
    NotAttempted after Ctrl-C),
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
