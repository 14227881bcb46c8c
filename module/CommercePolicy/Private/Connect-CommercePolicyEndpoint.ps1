# Connect-MSCommerce with -Endpoint alone: no sign-in, only where this session's cmdlets go.

function Connect-CommercePolicyEndpoint {
    <#
    .SYNOPSIS
    Keeps an endpoint for this session and checks it by listing the policies.

    .DESCRIPTION
    For 'local' and the URL of a commerce-policy service (a CI sandbox): nothing signs in. The
    endpoint is kept even when the check fails, so that later cmdlets fail the same way instead
    of silently using another service. -PassThru writes a CommercePolicy.Connection with the
    properties that 'commerce-policy connect' prints, SignIn 'none'.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet]
        $Cmdlet,

        [Parameter(Mandatory = $true)]
        [string]
        $Endpoint,

        [Parameter()]
        [switch]
        $PassThru
    )

    $script:Session = @{ Endpoint = $Endpoint }
    $code = -1
    $policies = Invoke-CommercePolicyCommand -Cmdlet $Cmdlet -CommandName 'Get-MSCommercePolicies' -Parameters @{} -ExitCode ([ref] $code)
    if ($code -ne 0) {
        # The error record is written.
        return
    }
    Write-Verbose ('Every cmdlet of this session now goes to {0}, without a sign-in: {1} policies' -f $Endpoint, @($policies).Count)
    if ($PassThru) {
        $connection = New-Object -TypeName PSObject -Property ([ordered] @{
                TenantId        = $null
                Environment     = $null
                Endpoint        = $Endpoint
                Account         = $null
                SignIn          = 'none'
                ExpiresOn       = $null
                CredentialStore = $null
            })
        $connection.PSObject.TypeNames.Insert(0, 'CommercePolicy.Connection')
        $connection
    }
}
