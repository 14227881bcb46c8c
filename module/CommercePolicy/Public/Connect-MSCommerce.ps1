# Connect-MSCommerce: see its help below.

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
      person signs in. With no sign-in parameter, where a desktop session exists (an interactive
      Windows session, macOS, or Linux with DISPLAY or WAYLAND_DISPLAY; not over SSH or
      PowerShell remoting), in the system browser, as MSCommerce did (connect --browser);
      elsewhere, or with -DeviceCode, with a device code on any device. The binary's instruction
      ("To sign in, open URL and enter the code CODE", or the browser's URL) is relayed to the
      host as it arrives, in every host (also ISE, remoting, notebooks).
    - ClientSecret, Certificate (a PEM or .pfx/.p12 file), FederatedToken (a token file, as in
      Kubernetes workload identity or a CI runner) and ManagedIdentity: an application signs in
      unattended.
    - AccessToken: a token obtained elsewhere.
    - CertificateThumbprint: a certificate of the Windows certificate store. The binary cannot
      read the store yet: the cmdlet stops with an error that says how to export it to a PFX.

    Secrets never reach a command line, a log or this PowerShell process's environment: -ClientSecret
    is written to the binary's standard input (on Windows PowerShell 5.1, which puts a byte order
    mark there, it goes in COMMERCE_POLICY_CLIENT_SECRET of the child process instead),
    -CertificatePassword and -AccessToken go into environment variables of the child process
    only, and a SecureString is converted only at that moment.

    With -Endpoint 'local' or the URL of a commerce-policy service, and none of -DeviceCode,
    -TenantId, -ClientId, -Resource or -Environment, nothing signs in: the binary saves that
    endpoint as the connection (connect --endpoint <local|URL> --no-sign-in), and every later
    cmdlet goes there (a CI sandbox, say). The MSCommerce-named cmdlets never fall back to the
    embedded local store by themselves: without a connection they fail with an
    AuthenticationError that says to run Connect-MSCommerce; -Endpoint local opts in.

    This PowerShell session keeps only an access token (of -AccessToken, with the endpoint the
    binary connected to) and applies it to every later cmdlet; sign-in parameters are given to
    'connect' alone.

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
    MSCommerce's redirect URI for its interactive browser sign-in (position 1, as in MSCommerce).
    Accepted so that existing scripts bind; the binary's browser sign-in listens on a loopback
    redirect of its own (http://localhost:PORT, RFC 8252), and a device code needs none.

    .PARAMETER Resource
    The resource to ask tokens for; MSCommerce's scope form
    'aeb86249-8ea3-49e2-900b-54cc8e308f85/.default' works too. Default: the licensing service.

    .PARAMETER DeviceCode
    Sign in as a person with a device code, also where a browser could open. With no sign-in
    parameter at all, Connect-MSCommerce signs in in the browser where a desktop session exists,
    and with a device code elsewhere.

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

    Signs a person in, as MSCommerce's Connect-MSCommerce did: in the system browser on a
    desktop, else with a device code (open the page shown on any device and enter the code).
    Sign in with a global or billing administrator account. The sign-in is kept and renewed by
    the binary.

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
    --federated-token-file, --federated-github, --browser, or COMMERCE_POLICY_ACCESS_TOKEN.
    -Endpoint alone: commerce-policy connect --endpoint <local|URL> --no-sign-in --output json.

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

        [Parameter(Position = 0, ParameterSetName = 'DeviceCode')]
        [Parameter(Position = 0, Mandatory = $true, ParameterSetName = 'ClientSecret')]
        [Parameter(Position = 0, Mandatory = $true, ParameterSetName = 'Certificate')]
        [Parameter(Position = 0, Mandatory = $true, ParameterSetName = 'CertificateThumbprint')]
        [Parameter(Position = 0, ParameterSetName = 'ManagedIdentity')]
        [Parameter(Position = 0, Mandatory = $true, ParameterSetName = 'FederatedToken')]
        [Parameter(Position = 0, Mandatory = $true, ParameterSetName = 'GitHubActions')]
        [ValidateNotNullOrEmpty()]
        [string]
        $ClientId,

        [Parameter(Position = 1, ParameterSetName = 'DeviceCode')]
        [Uri]
        $RedirectUri,

        [Parameter(Position = 2)]
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

    # A new connection starts from nothing: the previous session's token must not reach
    # 'connect', nor the completion cache outlive it.
    $script:Session = @{}
    $script:CompletionCache = @{}

    $parameters = @{}
    foreach ($name in $PSBoundParameters.Keys) {
        $parameters[$name] = $PSBoundParameters[$name]
    }
    $flow = $PSCmdlet.ParameterSetName
    if ($flow -eq 'DeviceCode') {
        # A person's sign-in, or none, as the binary's flags name it.
        $flow = Get-CommercePolicyPersonSignIn -BoundParameters $PSBoundParameters
        $parameters[$flow] = $true
    }
    $connection = Invoke-CommercePolicyCommand -Cmdlet $PSCmdlet -CommandName 'Connect-MSCommerce' -Parameters $parameters
    if ($null -eq $connection) {
        # The binary refused or failed; its error record says which connection is still active.
        return
    }
    if ($PSCmdlet.ParameterSetName -eq 'AccessToken') {
        # The token goes with every cmdlet of this session, and only to the endpoint it was given for.
        $script:Session = @{ Endpoint = $connection.Endpoint; AccessToken = $AccessToken }
    }
    # A token this session keeps, or no sign-in at all, needs no credential store.
    Write-CommercePolicyConnection -Connection $connection -NeedsNoStore:(@('AccessToken', 'NoSignIn') -contains $flow)
    if ($PassThru) {
        $connection
    }
}
